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
	fs := newFlags("listen", "NAME", e.stderr)
	reply := fs.String("reply", "", "answer every sent message with this text")
	execCmd := fs.String("exec", "", "answer with this shell command's output (data on stdin; POSTBOX_ID, POSTBOX_W, POSTBOX_L, POSTBOX_PID set); a failing command fails the message")
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("want exactly one NAME")
	}
	p := &printer{e: e, json: *asJSON}
	answer := []byte(*reply)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		p.print(m)
		if *execCmd != "" {
			return runExec(ctx, *execCmd, m)
		}
		return postbox.Reply{Data: answer}, nil
	})
	ep, err := postbox.Listen(pos[0], h)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "listening on %s\n", strings.Join(ep.Addrs(), " "))
	<-e.ctx.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ep.Shutdown(ctx)
}

// printer writes one line per message; handlers may run concurrently.
type printer struct {
	mu   sync.Mutex
	e    *env
	json bool
}

func (p *printer) print(m *postbox.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		obj := map[string]any{"id": m.ID, "w": m.W, "l": m.L, "pid": m.From.PID, "uid": m.From.UID,
			"gid": m.From.GID, "transport": m.From.Transport, "time": time.Now().Format(time.RFC3339Nano)}
		if m.From.SID != "" {
			obj["sid"] = m.From.SID
		}
		jsonData(obj, m.Data)
		writeJSON(p.e.stdout, obj)
		return
	}
	sid := ""
	if m.From.SID != "" {
		sid = " sid=" + m.From.SID
	}
	fmt.Fprintf(p.e.stdout, "id=%#x w=%d l=%d pid=%d uid=%d%s transport=%s data=%s\n",
		m.ID, m.W, m.L, m.From.PID, m.From.UID, sid, m.From.Transport, printable(m.Data, 256))
}
