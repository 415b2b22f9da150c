package winmsg_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wintest"
	"github.com/postbox-ipc/postbox/transport/winmsg"
)

// seedJSON is the seed article's payload.
const seedJSON = `{"userCode":"dba","wardCode":123,"mrn":456}`

// Win32 → Postbox: the seed's sender, in C, talks to a Postbox endpoint's
// window exactly as it would to the C# receiver.

func TestSeedSenderCopyData(t *testing.T) {
	rec, name := listenRecorder(t, func(m *postbox.Message) postbox.Reply { return postbox.Reply{Result: 1234} })
	out := runSender(t, name, "copydata", seedJSON)
	if !strings.Contains(out, "result=1234") {
		t.Fatalf("the sender got %q, want the handler's Result 1234 as its LRESULT", out)
	}
	m := rec.next(t)
	if m.ID != postbox.CopyData || m.W != 0 || m.L != 0 || m.From.Transport != "winmsg" {
		t.Fatalf("message = %+v, want WM_COPYDATA with wParam 0 and dwData 0 from winmsg", m)
	}
	if string(m.Data) != seedJSON+"\x00" {
		t.Fatalf("data = %q, want the ANSI JSON and its NUL (cbData = len+1)", m.Data)
	}
	text, err := winmsg.ANSI.Decode(m.Data)
	if err != nil || string(text) != seedJSON {
		t.Fatalf("ANSI.Decode = %q, %v", text, err)
	}
}

func TestSeedSenderPostMessage(t *testing.T) {
	rec, name := listenRecorder(t, nil)
	out := runSender(t, name, "post", "7", "42")
	if !strings.Contains(out, "post ok=1") {
		t.Fatalf("PostMessageA: %q", out)
	}
	m := rec.next(t)
	if m.ID != postbox.User+1 || m.W != 7 || m.L != 42 || m.Data != nil {
		t.Fatalf("message = %+v, want WM_USER+1 with 7, 42", m)
	}
}

func TestSeedSenderSendMessage(t *testing.T) {
	rec, name := listenRecorder(t, func(m *postbox.Message) postbox.Reply { return postbox.Reply{Result: m.W * m.L} })
	out := runSender(t, name, "send", "0x401", "5", "-6")
	if !strings.Contains(out, "result=-30") {
		t.Fatalf("the sender got %q, want LRESULT -30", out)
	}
	if m := rec.next(t); m.ID != postbox.User+1 || m.W != 5 || m.L != -6 {
		t.Fatalf("message = %+v, want WM_USER+1 with 5, -6", m)
	}
}

func TestSeedSenderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, name := listenRecorder(t, func(m *postbox.Message) postbox.Reply {
		<-release // a handler slower than the sender's patience
		return postbox.Reply{Result: 1}
	})
	out := runSender(t, name, "timeout", "300", seedJSON)
	if !strings.Contains(out, "timeout ok=0 error=1460") {
		t.Fatalf("SendMessageTimeoutA against a slow handler: %q, want ERROR_TIMEOUT (1460)", out)
	}
}

func TestSeedSenderOversizeRefused(t *testing.T) {
	rec, name := listenRecorder(t, func(m *postbox.Message) postbox.Reply { return postbox.Reply{Result: 1} },
		postbox.WithMaxSize(16))
	out := runSender(t, name, "copydata", seedJSON)
	if !strings.Contains(out, "result=0") {
		t.Fatalf("an oversized WM_COPYDATA got %q, want LRESULT 0", out)
	}
	runSender(t, name, "post", "1", "2") // a later message still arrives
	if m := rec.next(t); m.ID != postbox.User+1 {
		t.Fatalf("the handler saw %+v; the oversized message must not reach it", m)
	}
}

func TestForeignCloseIgnored(t *testing.T) {
	rec, name := listenRecorder(t, nil)
	runSender(t, name, "send", "0x10", "0", "0") // WM_CLOSE
	out := runSender(t, name, "post", "3", "4")
	if !strings.Contains(out, "found") {
		t.Fatalf("the window is gone after a foreign WM_CLOSE: %q", out)
	}
	if m := rec.next(t); m.W != 3 || m.L != 4 {
		t.Fatalf("message = %+v", m)
	}
}

// runSender runs the seed sender against the window titled title and
// returns its output.
func runSender(t *testing.T, title string, args ...string) string {
	t.Helper()
	p := wintest.StartProgram(t, wintest.InteropProgram(t, "seedsender"), append([]string{title}, args...)...)
	var lines []string
	for {
		select {
		case l, ok := <-p.Lines():
			if !ok {
				return strings.Join(lines, "\n")
			}
			lines = append(lines, l)
		case <-time.After(20 * time.Second):
			t.Fatalf("seedsender %v: no exit within 20s; output so far: %q", args, lines)
		}
	}
}

// recorder is a handler that passes every message to the test.
type recorder struct {
	ch    chan postbox.Message
	reply func(*postbox.Message) postbox.Reply
}

func listenRecorder(t *testing.T, reply func(*postbox.Message) postbox.Reply, opts ...postbox.ListenOption) (*recorder, string) {
	t.Helper()
	rec := &recorder{ch: make(chan postbox.Message, 1000), reply: reply}
	name := wintest.Name(t)
	ep, err := postbox.Listen(name, postbox.HandlerFunc(rec.serve), opts...)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ep.Close() })
	return rec, name
}

func (r *recorder) serve(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	cp := *m
	cp.Data = append([]byte(nil), m.Data...)
	if m.Data == nil {
		cp.Data = nil
	}
	r.ch <- cp
	if r.reply == nil {
		return postbox.Reply{}, nil
	}
	return r.reply(m), nil
}

func (r *recorder) next(t *testing.T) postbox.Message {
	t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the handler received nothing within 10s")
	}
	return postbox.Message{}
}
