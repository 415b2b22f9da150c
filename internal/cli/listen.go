package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("listen", "receive messages and print them (a window procedure)", runListen)
}

func runListen(e *env, args []string) error {
	fs := newFlags("listen", "NAME", e.stdout)
	reply := fs.String("reply", "", "answer every sent message with this text")
	execCmd := fs.String("exec", "", "answer with this shell command's output (data on stdin; POSTBOX_ID, POSTBOX_W, POSTBOX_L, POSTBOX_PID set); a failing command fails the message; when the sender gives up or --grace ends, its process group gets SIGTERM, then SIGKILL 2s later (Unix; on Windows the shell is killed)")
	asJSON := jsonFlag(e, fs, "print one JSON object per message")
	grace := fs.Duration("grace", 5*time.Second, "on SIGINT or SIGTERM, how long to finish the messages already accepted")
	tcpf := addListenTCPFlags(fs)
	var watchers names
	fs.Var(&watchers, "watch", `also let this authenticated identity watch (stats, spy, top): a TLS subject or token name, or "nats" for any client the NATS server admitted (repeatable)`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one NAME")
	}
	p := &printer{e: e, json: *asJSON}
	answer := []byte(*reply)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		p.print(m, postbox.InSend(ctx))
		if *execCmd != "" {
			return runExec(ctx, *execCmd, m)
		}
		return postbox.Reply{Data: answer}, nil
	})
	lc := postbox.ListenConfig{WatchIdentities: watchers}
	if err := tcpf.listen(&lc); err != nil {
		return err
	}
	ep, err := lc.Listen(e.ctx, pos[0], h)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "listening on %s\n", strings.Join(ep.Addrs(), " "))
	<-e.ctx.Done()
	return shutdown(e, ep, *grace)
}

// shutdown stops ep gracefully within grace and reports how it went.
func shutdown(e *env, ep *postbox.Endpoint, grace time.Duration) error {
	st := ep.Stats()
	fmt.Fprintf(e.stderr, "shutting down: %d queued, %d running; waiting up to %v\n", st.Queued, st.Running, grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := ep.Shutdown(ctx)
	st = ep.Stats()
	fmt.Fprintf(e.stderr, "shut down: %d handled, %d refused during shutdown\n", st.Handled, st.Errors["refused"])
	return err
}

// printer writes one line per message; handlers may run concurrently.
type printer struct {
	mu   sync.Mutex
	e    *env
	json bool
}

func (p *printer) print(m *postbox.Message, sent bool) {
	now := time.Now()
	kind := "post"
	if sent {
		kind = "send"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		obj := map[string]any{"time": now.Format(time.RFC3339Nano), "kind": kind, "id": m.ID, "w": m.W, "l": m.L, "from": m.From}
		jsonData(obj, m.Data)
		_ = writeJSON(p.e.stdout, obj)
		return
	}
	sid := ""
	if m.From.SID != "" {
		sid = " sid=" + m.From.SID
	}
	var remote string
	if m.From.Identity != "" {
		remote = fmt.Sprintf(" addr=%s identity=%q", m.From.Addr, m.From.Identity)
	} else if m.From.Addr != "" {
		remote = " addr=" + m.From.Addr
	}
	fmt.Fprintf(p.e.stdout, "%s %s id=%#x w=%d l=%d pid=%d uid=%d%s transport=%s%s data=%s\n",
		now.Format("15:04:05.000000"), kind, m.ID, m.W, m.L, m.From.PID, m.From.UID, sid, m.From.Transport, remote, printable(m.Data, 256))
}
