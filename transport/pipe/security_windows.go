package pipe

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// clientAccess is what a client asks for: read, write and set the pipe's
// state; never FILE_CREATE_PIPE_INSTANCE.
const clientAccess = windows.GENERIC_READ | windows.FILE_WRITE_DATA | windows.FILE_WRITE_ATTRIBUTES

// securityAttributes builds the SECURITY_ATTRIBUTES for a new pipe.
func securityAttributes(system, shared bool, allow []string) (*windows.SecurityAttributes, error) {
	self, err := winapi.UserSID()
	if err != nil {
		return nil, fmt.Errorf("named pipe security: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString(sddl(self, system, shared, allow...))
	if err != nil {
		return nil, fmt.Errorf("named pipe security: %w", err)
	}
	return &windows.SecurityAttributes{
		Length:             uint32(unsafe.Sizeof(windows.SecurityAttributes{})),
		SecurityDescriptor: sd,
	}, nil
}

// pipeOwner returns the SID of the pipe's owner.
func pipeOwner(h windows.Handle) (string, error) {
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return "", err
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return "", err
	}
	return owner.String(), nil
}

// systemAccounts may own pipes in the system namespace: LocalSystem,
// LocalService, NetworkService and the Administrators group; service SIDs
// (S-1-5-80-…) are accepted too.
var systemAccounts = []string{"S-1-5-18", "S-1-5-19", "S-1-5-20", "S-1-5-32-544"}

// checkServer verifies, before a client sends anything, that the pipe is
// owned by the user its name says, or by a system account in the system
// namespace: a pipe made by anyone else is a squatter's.
func checkServer(h windows.Handle, owner string) (string, error) {
	got, err := pipeOwner(h)
	if err != nil {
		return "", fmt.Errorf("%w: cannot read the pipe's owner: %v", transport.ErrDenied, err)
	}
	if owner == SystemOwner {
		for _, s := range systemAccounts {
			if got == s {
				return got, nil
			}
		}
		if strings.HasPrefix(got, "S-1-5-80-") {
			return got, nil
		}
		return "", fmt.Errorf("%w: system pipe owned by %s, not a system account", transport.ErrDenied, got)
	}
	if !strings.EqualFold(got, owner) {
		return "", fmt.Errorf("%w: pipe owned by %s, not %s", transport.ErrDenied, got, owner)
	}
	return got, nil
}
