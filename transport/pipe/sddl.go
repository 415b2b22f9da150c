package pipe

// clientRights lets other users of a system endpoint read and write its
// pipe but not create instances of it (FILE_GENERIC_READ|FILE_GENERIC_WRITE
// without FILE_CREATE_PIPE_INSTANCE), so none of them can serve its name.
const clientRights = "0x12019b"

// sddl is the pipe's security descriptor, protected so nothing is
// inherited. A user's endpoint: owned by the user, full access for the
// user and SYSTEM, nobody else. A system endpoint: full access for SYSTEM,
// Administrators and the creating account. Then, when the policy names the
// users and groups it admits (allow), each of them may connect, and nobody
// else; when it admits others without naming them (shared, or a system
// endpoint), authenticated users may connect. Either way the policy checks
// each client again.
func sddl(self string, system, shared bool, allow ...string) string {
	s := "D:P(A;;GA;;;" + self + ")(A;;GA;;;SY)"
	if system {
		s = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + self + ")"
	} else {
		s = "O:" + self + s
	}
	switch {
	case len(allow) > 0:
		for _, sid := range allow {
			s += "(A;;" + clientRights + ";;;" + sid + ")"
		}
	case system || shared:
		s += "(A;;" + clientRights + ";;;AU)"
	}
	return s
}
