package reliability

import (
	"testing"

	"github.com/postbox-ipc/postbox"
)

// receiver is the suite's server, in a child process when the transport
// crosses processes, in the test's own otherwise.
type receiver struct {
	addr string
	proc *childProc        // nil in-process
	ep   *postbox.Endpoint // nil in a child
	srv  *server           // nil in a child
}

// receiver starts the suite's server with cfg.
func (s *suite) receiver(t *testing.T, cfg rxConfig) *receiver {
	t.Helper()
	if s.CrossProcess {
		p := s.serveChild(t, s.name(), cfg)
		return &receiver{addr: p.addr, proc: p}
	}
	srv := newServer(nil)
	ep, addr := s.listen(t, srv, cfg.apply)
	return &receiver{addr: addr, ep: ep, srv: srv}
}

// where says where the receiver runs, for the figures.
func (r *receiver) where() string {
	if r.proc != nil {
		return "receiver in a child process"
	}
	return "receiver in the same process"
}
