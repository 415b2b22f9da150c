package postbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

const envHold = "POSTBOX_TEST_HOLD" // child mode: listen as this name until killed

func holdName(name string) {
	ep, err := postbox.Listen(name, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte("child")}, nil
	}))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ready", strings.Join(ep.Addrs(), " "))
	select {}
}

// holdInChild starts a process that listens as name; it returns the process.
func holdInChild(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envHold+"="+name)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ready") {
		t.Fatalf("child: %q", line)
	}
	return cmd
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func reply(text string) postbox.Handler {
	return postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte(text)}, nil
	})
}

func TestSingleInstanceAndStaleTakeover(t *testing.T) {
	child := holdInChild(t, "single")
	if _, err := postbox.Listen("single", reply("me")); !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("Listen on a name a live process holds: %v, want ErrNameInUse", err)
	}
	rep, err := postbox.Send(ctxT(t), "single", postbox.Message{})
	if err != nil || string(rep.Data) != "child" {
		t.Fatalf("Send to the live holder: %q %v", rep.Data, err)
	}
	// kill -9 leaves the socket, lock and info files behind.
	child.Process.Kill()
	child.Wait()
	ep, err := postbox.Listen("single", reply("me"))
	if err != nil {
		t.Fatalf("Listen on a dead owner's name: %v", err)
	}
	defer ep.Close()
	rep, err = postbox.Send(ctxT(t), "single", postbox.Message{})
	if err != nil || string(rep.Data) != "me" {
		t.Fatalf("Send after the takeover: %q %v", rep.Data, err)
	}
}

func TestForeignSocketNeverStolen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "foreign.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := postbox.Listen("unix:"+path, reply("x")); !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("Listen over a live foreign socket: %v, want ErrNameInUse", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the foreign socket was removed: %v", err)
	}
	regular := filepath.Join(dir, "file.sock")
	os.WriteFile(regular, []byte("data"), 0o600)
	if _, err := postbox.Listen("unix:"+regular, reply("x")); !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("Listen over a regular file: %v, want ErrNameInUse", err)
	}
}

func TestSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "x.sock")
	if _, err := postbox.Listen("unix:"+long, reply("x")); !errors.Is(err, postbox.ErrBadAddress) {
		t.Fatalf("Listen on a %d-byte socket path: %v, want ErrBadAddress", len(long), err)
	}
	if _, err := postbox.Dial(ctxT(t), "unix:"+long); !errors.Is(err, postbox.ErrBadAddress) {
		t.Fatalf("Dial of a %d-byte socket path: %v, want ErrBadAddress", len(long), err)
	}
}

func TestBadAddresses(t *testing.T) {
	for _, addr := range []string{"", "nosuch:viewer", "unix:", "unix:../x", "has space", "unix:relative/path.sock"} {
		if _, err := postbox.Dial(ctxT(t), addr); !errors.Is(err, postbox.ErrBadAddress) {
			t.Errorf("Dial(%q): %v, want ErrBadAddress", addr, err)
		}
	}
}

func TestListFindBroadcast(t *testing.T) {
	a, err := postbox.Listen("list-a", reply("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	hung := make(chan struct{})
	defer close(hung)
	b, err := postbox.Listen("list-b", postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		select {
		case <-hung:
		case <-ctx.Done():
		}
		return postbox.Reply{}, ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	eps, err := postbox.List(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range eps {
		names = append(names, e.Name)
		if e.PID != os.Getpid() || e.UID != os.Geteuid() || len(e.Transports) == 0 || e.Started.IsZero() {
			t.Errorf("incomplete info: %+v", e)
		}
	}
	if !slices.Contains(names, "list-a") || !slices.Contains(names, "list-b") {
		t.Fatalf("List = %v, want list-a and list-b", names)
	}
	mine, err := postbox.FindPID(ctxT(t), os.Getpid())
	if err != nil || len(mine) < 2 {
		t.Fatalf("FindPID(self) = %v, %v", mine, err)
	}
	if other, _ := postbox.FindPID(ctxT(t), 1); len(other) != 0 {
		t.Fatalf("FindPID(1) = %v, want none", other)
	}

	bc := postbox.Broadcaster{Timeout: 200 * time.Millisecond}
	results, err := bc.Broadcast(ctxT(t), postbox.Message{ID: postbox.App})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]postbox.Result{}
	for _, r := range results {
		got[r.Endpoint.Name] = r
	}
	if r := got["list-a"]; r.Err != nil || string(r.Reply.Data) != "a" {
		t.Fatalf("list-a answered %q, %v", r.Reply.Data, r.Err)
	}
	if r := got["list-b"]; !errors.Is(r.Err, postbox.ErrTimeout) {
		t.Fatalf("the hung endpoint's result: %v, want ErrTimeout under its own timeout", r.Err)
	}
}

func TestMux(t *testing.T) {
	mux := postbox.NewMux()
	mux.HandleFunc(postbox.CopyData, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: 1, Data: m.Data}, nil
	})
	mux.HandleFunc(postbox.User+1, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W + m.L}, nil
	})
	ctx := ctxT(t)
	m := &postbox.Message{ID: postbox.User + 1, W: 7, L: 42}
	if rep, err := mux.ServeMessage(ctx, m); err != nil || rep.Result != 49 {
		t.Fatalf("User+1: %v %v", rep, err)
	}
	var re *postbox.RemoteError
	if _, err := mux.ServeMessage(ctx, &postbox.Message{ID: 0x9999}); !errors.As(err, &re) || !strings.Contains(err.Error(), "0x9999") {
		t.Fatalf("unrouted ID: %v, want a RemoteError naming it", err)
	}
	mux.Default(reply("default"))
	if rep, err := mux.ServeMessage(ctx, &postbox.Message{ID: 0x9999}); err != nil || string(rep.Data) != "default" {
		t.Fatalf("default route: %v %v", rep, err)
	}
	var zero postbox.Mux
	zero.HandleFunc(1, func(context.Context, *postbox.Message) (postbox.Reply, error) { return postbox.Reply{Result: 5}, nil })
	if rep, _ := zero.ServeMessage(ctx, &postbox.Message{ID: 1}); rep.Result != 5 {
		t.Fatalf("zero Mux: %v", rep)
	}
}

func TestEndpointCloseReportsUnhandledPosts(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	ep, err := postbox.Listen("unhandled", postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return postbox.Reply{}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := postbox.Dial(ctxT(t), "unhandled")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 10 {
		if err := c.Post(ctxT(t), postbox.Message{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-started
	err = ep.Close()
	if err == nil || !strings.Contains(err.Error(), "9 accepted posted message(s) were not handled") {
		t.Fatalf("Close with 9 accepted, unhandled posts: %v", err)
	}
	close(release)
}
