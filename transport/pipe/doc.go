// Package pipe is the Postbox transport over Windows named pipes, the default
// on Windows. Addresses: "pipe:NAME" (an endpoint in the caller's namespace)
// or the pipe's full path, "pipe:\\.\pipe\postbox.OWNER.NAME".
//
// Each endpoint is one named pipe, \\.\pipe\postbox.SID.NAME in the namespace
// of the user with that SID, or \\.\pipe\postbox.system.NAME in the
// system-wide one. The server side is written on golang.org/x/sys/windows
// (CreateNamedPipe, ConnectNamedPipe with overlapped I/O); connected pipes
// do their reads and writes through go-winio's I/O completion port, which
// gives them deadlines, and the wire protocol runs over them through
// internal/session, as on a Unix socket.
//
// Security:
//   - the pipe's DACL admits the current user and SYSTEM only (a system
//     endpoint, or one whose policy admits other users, also lets other
//     users read and write, never create instances, and the endpoint's
//     policy then checks each peer);
//   - remote clients are rejected (PIPE_REJECT_REMOTE_CLIENTS);
//   - the first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, and
//     a pipe that already exists under the name fails Listen with
//     ErrNameInUse, so a squatter cannot sit in front of an endpoint;
//   - clients connect at SecurityIdentification impersonation level: the
//     server can learn who they are, never act as them; and clients check
//     that the pipe belongs to the user its name says (or, in the system
//     namespace, to a system account) before they send anything;
//   - the server identifies each client by the kernel: its process ID
//     (GetNamedPipeClientProcessId) and its user SID (from the client's
//     token, read while impersonating it at identification level).
//
// The transport registers itself on Windows only; elsewhere Listen and Dial
// fail with an error wrapping errors.ErrUnsupported.
package pipe
