package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("demo", "the seed's scenario: one program sends a patient's context to another", runDemo)
}

// The seed's message: the patient context one desktop program hands another.
const patientJSON = `{"userCode":"dba","wardCode":123,"mrn":456}`

// Message numbers the demo uses besides WM_COPYDATA.
const (
	demoNotify = postbox.User + 1 // the seed's WM_USER+1, posted with data
	demoTiming = postbox.User + 2 // round-trip measurement
	demoQuit   = postbox.App + 1  // ask the viewer to exit
)

type patient struct {
	UserCode string `json:"userCode"`
	WardCode int    `json:"wardCode"`
	MRN      int    `json:"mrn"`
}

func runDemo(e *env, args []string) error {
	fs := newFlags("demo", "", e.stdout)
	asViewer := fs.Bool("as-viewer", false, "run the viewer side (started by the demo itself)")
	name := fs.String("name", "", "the viewer's endpoint name (default viewer, or viewer-PID if taken)")
	rounds := fs.Int("rounds", 2000, "Sends to time")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *asViewer {
		return runViewer(e, *name)
	}
	if *name == "" {
		*name = freeViewerName(e.ctx)
	}
	return runSender(e, *name, max(*rounds, 1))
}

func freeViewerName(ctx context.Context) string {
	eps, _ := postbox.List(ctx)
	if slices.ContainsFunc(eps, func(i postbox.EndpointInfo) bool { return i.Name == "viewer" }) {
		return fmt.Sprintf("viewer-%d", os.Getpid())
	}
	return "viewer"
}

// runViewer is the receiving program: its handler is the window procedure.
func runViewer(e *env, name string) error {
	quit := make(chan struct{})
	say := func(format string, a ...any) { fmt.Fprintf(e.stdout, format+"\n", a...) }
	mux := postbox.NewMux()
	mux.HandleFunc(postbox.CopyData, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		var p patient
		if err := json.Unmarshal(m.Data, &p); err != nil {
			return postbox.Reply{}, fmt.Errorf("not a patient context: %w", err)
		}
		say("WM_COPYDATA from pid %d (uid %d): user %s opens patient mrn=%d in ward %d", m.From.PID, m.From.UID, p.UserCode, p.MRN, p.WardCode)
		return postbox.Reply{Result: 1, Data: fmt.Appendf(nil, "viewer shows mrn %d", p.MRN)}, nil
	})
	mux.HandleFunc(demoNotify, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		say("WM_USER+1 posted by pid %d: w=%d l=%d data=%s", m.From.PID, m.W, m.L, m.Data)
		return postbox.Reply{}, nil
	})
	mux.HandleFunc(demoTiming, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: int64(len(m.Data))}, nil
	})
	mux.HandleFunc(demoQuit, func(context.Context, *postbox.Message) (postbox.Reply, error) {
		close(quit)
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen(name, mux)
	if err != nil {
		return err
	}
	say("ready %s", strings.Join(ep.Addrs(), " "))
	select {
	case <-quit:
	case <-e.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = ep.Shutdown(ctx)
	say("closed")
	return err
}

// runSender starts the viewer as a second process, finds it, and talks to it.
func runSender(e *env, name string, rounds int) error {
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	fmt.Fprintf(e.stdout, "[sender] starting the viewer process as endpoint %q\n", name)
	viewer, err := startViewer(ctx, e, name)
	if err != nil {
		return err
	}
	defer viewer.stop()
	err = talk(ctx, e, viewer.cmd.Process.Pid, rounds)
	return errors.Join(err, viewer.quit(ctx))
}

type viewerProc struct {
	cmd  *exec.Cmd
	name string
	done chan error
}

func startViewer(ctx context.Context, e *env, name string) (*viewerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "demo", "--as-viewer", "--name", name)
	cmd.Stderr = e.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	v := &viewerProc{cmd: cmd, name: name, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go v.relay(e.stdout, out, ready)
	select {
	case line := <-ready:
		fmt.Fprintf(e.stdout, "[sender] viewer pid %d is up: %s\n", cmd.Process.Pid, line)
		return v, nil
	case err := <-v.done:
		return nil, fmt.Errorf("viewer exited before it was ready: %v", err)
	case <-ctx.Done():
		v.stop()
		return nil, ctx.Err()
	}
}

// relay copies the viewer's output with a prefix and reports readiness,
// then the process's exit.
func (v *viewerProc) relay(w io.Writer, r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "ready "); ok {
			ready <- rest
			continue
		}
		fmt.Fprintf(w, "[viewer] %s\n", line)
	}
	v.done <- v.cmd.Wait()
}

func (v *viewerProc) quit(ctx context.Context) error {
	if _, err := postbox.Send(ctx, v.name, postbox.Message{ID: demoQuit}); err != nil {
		return err
	}
	select {
	case err := <-v.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *viewerProc) stop() {
	if v.cmd.ProcessState == nil {
		v.cmd.Process.Kill()
	}
}
