package postbox

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/postbox-ipc/postbox/internal/namespace"
)

// EndpointInfo describes a live endpoint found by List.
type EndpointInfo struct {
	Name       string    `json:"name"`
	PID        int       `json:"pid"`
	Program    string    `json:"program"`
	UID        int       `json:"uid"`
	SID        string    `json:"sid,omitempty"` // the owner's user SID (Windows)
	Started    time.Time `json:"started"`
	Transports []string  `json:"transports"` // addresses to dial, one per transport
	System     bool      `json:"system"`     // in the system-wide namespace
}

// Addr is the address to dial: its first transport's.
func (i EndpointInfo) Addr() string {
	if len(i.Transports) > 0 {
		return i.Transports[0]
	}
	return i.Name
}

// List returns the live endpoints in the user's namespace and, when it
// exists, the system-wide one (FindWindow, EnumWindows). Names whose owner
// died are left out.
func List(ctx context.Context) ([]EndpointInfo, error) {
	var out []EndpointInfo
	for _, system := range []bool{false, true} {
		if err := ctx.Err(); err != nil {
			return out, opErr("list", "", err)
		}
		infos, err := listNamespace(system)
		if err != nil {
			return out, opErr("list", "", err)
		}
		out = append(out, infos...)
	}
	return out, nil
}

func listNamespace(system bool) ([]EndpointInfo, error) {
	var ns *namespace.Namespace
	var err error
	if system {
		if _, serr := os.Stat(namespace.SystemDir); serr != nil {
			return nil, nil
		}
		ns, err = namespace.System()
	} else {
		ns, err = namespace.User()
	}
	if err != nil {
		if system && errors.Is(err, os.ErrPermission) {
			return nil, nil
		}
		return nil, err
	}
	infos, err := ns.List()
	out := make([]EndpointInfo, len(infos))
	for i, in := range infos {
		out[i] = EndpointInfo{Name: in.Name, PID: in.PID, Program: in.Program, UID: in.UID, SID: in.SID,
			Started: in.Started, Transports: in.Transports, System: system}
	}
	return out, err
}

// FindPID returns the endpoints owned by process pid (.NET's
// Process.MainWindowHandle, for endpoints).
func FindPID(ctx context.Context, pid int) ([]EndpointInfo, error) {
	all, err := List(ctx)
	var out []EndpointInfo
	for _, e := range all {
		if e.PID == pid {
			out = append(out, e)
		}
	}
	return out, err
}
