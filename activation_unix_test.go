//go:build unix

package postbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox"
)

const envActivated = "POSTBOX_TEST_ACTIVATED" // child mode: listen with socket activation at this address

func init() { childModes[envActivated] = childActivated }

// activatedReport is what the child says once Listen returned.
type activatedReport struct {
	Addrs   []string `json:"addrs"`
	Err     string   `json:"err"`
	Env     string   `json:"env"`     // LISTEN_* left in the environment
	Cloexec bool     `json:"cloexec"` // descriptor 3 is close-on-exec
}

// childActivated runs in a child started like a service manager would:
// listen, report, serve until stdin closes.
func childActivated(addr string) {
	ep, err := postbox.Listen(addr, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte(fmt.Sprint("pid ", os.Getpid()))}, nil
	}), postbox.WithSocketActivation())
	rep := activatedReport{Env: os.Getenv("LISTEN_PID") + os.Getenv("LISTEN_FDS") + os.Getenv("LISTEN_FDNAMES")}
	if flags, ferr := unix.FcntlInt(3, unix.F_GETFD, 0); ferr == nil {
		rep.Cloexec = flags&unix.FD_CLOEXEC != 0
	}
	if err != nil {
		rep.Err = err.Error()
	} else {
		rep.Addrs = ep.Addrs()
	}
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	io.Copy(io.Discard, os.Stdin)
	if ep != nil {
		ep.Close()
	}
}

// socketFile returns a socket of the given kind, listening at dir, as a
// file to pass to a child; the test keeps its own descriptor open, as a
// service manager does.
func socketFile(t *testing.T, dir, kind, name string) *os.File {
	t.Helper()
	var f *os.File
	var err error
	switch kind {
	case "stream":
		ln, lerr := net.Listen("unix", filepath.Join(dir, name+".sock"))
		if lerr != nil {
			t.Fatal(lerr)
		}
		t.Cleanup(func() { ln.Close() })
		f, err = ln.(*net.UnixListener).File()
	case "datagram":
		c, lerr := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, name+".sock"), Net: "unixgram"})
		if lerr != nil {
			t.Fatal(lerr)
		}
		t.Cleanup(func() { c.Close() })
		f, err = c.File()
	case "tcp":
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			t.Fatal(lerr)
		}
		t.Cleanup(func() { ln.Close() })
		f, err = ln.(*net.TCPListener).File()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// startActivated starts the child with files as descriptors 3… and the
// LISTEN_* variables set by a shell for its own PID, which exec keeps.
func startActivated(t *testing.T, addr, pid, names string, files ...*os.File) activatedReport {
	t.Helper()
	exe, _ := os.Executable()
	script := fmt.Sprintf(`export LISTEN_PID=%s LISTEN_FDS=%d LISTEN_FDNAMES=%q; exec "$0" -test.run='^$'`, pid, len(files), names)
	cmd := exec.Command("/bin/sh", "-c", script, exe)
	cmd.Env = append(os.Environ(), envActivated+"="+addr)
	cmd.ExtraFiles = files
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("activated child: %v", err)
	}
	var rep activatedReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("activated child said %q", line)
	}
	return rep
}

func TestSocketActivation(t *testing.T) {
	dir := shortDir(t)
	t.Run("the socket named after the endpoint", func(t *testing.T) {
		other := socketFile(t, dir, "stream", "other")
		mine := socketFile(t, dir, "stream", "act1")
		addr := "unix:" + filepath.Join(dir, "act1.sock")
		rep := startActivated(t, addr, "$$", "other:act1", other, mine)
		if rep.Err != "" || rep.Env != "" || !rep.Cloexec || len(rep.Addrs) == 0 || rep.Addrs[0] != addr {
			t.Fatalf("child: %+v", rep)
		}
		r, err := postbox.Send(ctxT(t), addr, postbox.Message{})
		if err != nil || !strings.HasPrefix(string(r.Data), "pid ") {
			t.Fatalf("Send through the inherited socket: %q %v", r.Data, err)
		}
	})
	t.Run("the only socket, whatever its name", func(t *testing.T) {
		f := socketFile(t, dir, "stream", "act2")
		addr := "unix:" + filepath.Join(dir, "act2.sock")
		if rep := startActivated(t, addr, "$$", "postbox-example.socket", f); rep.Err != "" {
			t.Fatalf("child: %+v", rep)
		}
		if _, err := postbox.Send(ctxT(t), addr, postbox.Message{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("sockets meant for another process are ignored", func(t *testing.T) {
		f := socketFile(t, dir, "stream", "decoy")
		addr := "unix:" + filepath.Join(dir, "act3.sock")
		rep := startActivated(t, addr, "1", "act3", f)
		if rep.Err != "" || rep.Env != "" || rep.Addrs[0] != addr {
			t.Fatalf("child: %+v", rep)
		}
		// It created its own socket at its own path.
		if _, err := postbox.Send(ctxT(t), addr, postbox.Message{}); err != nil {
			t.Fatal(err)
		}
	})
	refusals := []struct {
		name, kind, names, want string
	}{
		{"a datagram socket", "datagram", "act4", "datagram"},
		{"a TCP socket", "tcp", "act4", "tcp socket"},
	}
	for _, c := range refusals {
		t.Run("refuses "+c.name, func(t *testing.T) {
			f := socketFile(t, dir, c.kind, "act4"+c.kind)
			rep := startActivated(t, "unix:"+filepath.Join(dir, "act4.sock"), "$$", c.names, f)
			if !strings.Contains(rep.Err, c.want) || rep.Env != "" {
				t.Fatalf("child: %+v, want an error about %q", rep, c.want)
			}
		})
	}
	t.Run("refuses to guess among several", func(t *testing.T) {
		a, b := socketFile(t, dir, "stream", "x1"), socketFile(t, dir, "stream", "x2")
		rep := startActivated(t, "unix:"+filepath.Join(dir, "act5.sock"), "$$", "x1:x2", a, b)
		if !strings.Contains(rep.Err, `none named "act5"`) {
			t.Fatalf("child: %+v", rep)
		}
	})
}

// shortDir is a temporary directory with a short path, for sockets.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
