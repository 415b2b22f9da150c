package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wintest"
	"github.com/postbox-ipc/postbox/transport/pipe"
)

// The test binary is also the service: "install" registers it with the
// arguments "service …", which TestMain hands to run.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "service" {
		if err := run(os.Args[1:], slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func unique(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// installed installs the test binary as a service with args and removes it
// when the test ends.
func installed(t *testing.T, name string, args ...string) {
	t.Helper()
	err := run(append([]string{"install", "-service-name", name}, args...), quiet)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skip("installing a service needs administrator rights")
	}
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	t.Cleanup(func() {
		run([]string{"stop", "-service-name", name}, quiet)
		waitState(t, name, svc.Stopped)
		if err := run([]string{"uninstall", "-service-name", name}, quiet); err != nil {
			t.Errorf("uninstall: %v", err)
		}
	})
}

// status queries the service manager.
func status(t *testing.T, name string) svc.Status {
	t.Helper()
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		t.Fatalf("open service %s: %v", name, err)
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func waitState(t *testing.T, name string, want svc.State) {
	t.Helper()
	wintest.Eventually(t, 30*time.Second, fmt.Sprintf("service state %d", want), func() bool { return status(t, name).State == want })
}

// TestWindowsService installs the example as a service, starts it through
// the service manager, talks to it over its pipe, stops it while a message
// is in flight (it finishes the message), and uninstalls it.
func TestWindowsService(t *testing.T) {
	name, addr := unique("PbxTest"), unique("pbxsvc-")
	installed(t, name, "-addr", addr, "-grace", "10s")
	if err := run([]string{"install", "-service-name", name}, quiet); err == nil || !strings.Contains(err.Error(), "already installed") {
		t.Fatalf("a second install: %v", err)
	}
	if err := run([]string{"start", "-service-name", name}, quiet); err != nil {
		t.Fatalf("start: %v", err)
	}
	waitState(t, name, svc.Running)

	var c *postbox.Conn
	wintest.Eventually(t, 30*time.Second, "the service's endpoint", func() bool {
		var err error
		c, err = postbox.Dial(ctxT(t), addr)
		return err == nil
	})
	defer c.Close()
	rep, err := c.Send(ctxT(t), postbox.Message{ID: idHello, Data: []byte("hi")})
	if err != nil || !strings.Contains(string(rep.Data), "hi") {
		t.Fatalf("hello: %q %v", rep.Data, err)
	}
	st, err := c.Stats(ctxT(t))
	if err != nil || st.PID == os.Getpid() || !strings.Contains(string(rep.Data), fmt.Sprintf("this is pid %d", st.PID)) {
		t.Fatalf("the endpoint runs in pid %d (%v), the test in %d: %q", st.PID, err, os.Getpid(), rep.Data)
	}

	// Watch it over the pipe: the spy sees the next message, with the
	// sender's SID-less numbers unknown (-1) and its transport.
	watcher, err := postbox.Dial(ctxT(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	spy := watcher.Spy(postbox.SpyFilter{IDs: []uint32{idNote}})
	if _, _, err := spy.Next(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	c.Post(ctxT(t), postbox.Message{ID: idNote, Data: []byte("noted")})
	var recs []postbox.SpyRecord
	wintest.Eventually(t, 30*time.Second, "the spy's record", func() bool {
		r, _, err := spy.Next(ctxT(t))
		recs = append(recs, r...)
		return err != nil || len(recs) > 0
	})
	if r := recs[0]; r.ID != idNote || string(r.Head) != "noted" || r.Transport != "pipe" || r.PID != os.Getpid() || r.Send {
		t.Fatalf("spy record: %+v", r)
	}

	worked := make(chan string, 1)
	go func() {
		rep, err := c.Send(ctxT(t), postbox.Message{ID: idWork, W: 500})
		worked <- fmt.Sprintf("%s err=%v", rep.Data, err)
	}()
	wintest.Eventually(t, 30*time.Second, "the work to start", func() bool {
		st, err := c.Stats(ctxT(t))
		return err == nil && st.Running == 1
	})
	if err := run([]string{"stop", "-service-name", name}, quiet); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := <-worked; !strings.HasPrefix(got, "worked 500ms") || !strings.HasSuffix(got, "err=<nil>") {
		t.Fatalf("the message in flight at stop: %q", got)
	}
	waitState(t, name, svc.Stopped)
	if code := status(t, name).Win32ExitCode; code != 0 {
		t.Fatalf("the service stopped with exit code %d", code)
	}
}

// TestSystemServiceDACL runs the service in the machine-wide namespace
// with a policy naming the group Users: its pipe's DACL must grant Users,
// and not every authenticated user.
func TestSystemServiceDACL(t *testing.T) {
	name, addr := unique("PbxTest"), unique("pbxsys-")
	installed(t, name, "-system", "-allow-groups", "Users", "-addr", addr)
	if err := run([]string{"start", "-service-name", name}, quiet); err != nil {
		t.Fatalf("start: %v", err)
	}
	waitState(t, name, svc.Running)
	path, _ := windows.UTF16PtrFromString(pipe.Path(pipe.SystemOwner, addr))
	var h windows.Handle
	wintest.Eventually(t, 30*time.Second, "the system pipe", func() bool {
		var err error
		h, err = windows.CreateFile(path, windows.GENERIC_READ, 0, nil, windows.OPEN_EXISTING, 0, 0)
		return err == nil
	})
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT, windows.DACL_SECURITY_INFORMATION)
	windows.CloseHandle(h)
	if err != nil {
		t.Fatalf("GetSecurityInfo: %v", err)
	}
	dacl := sd.String()
	t.Logf("DACL: %s", dacl)
	if !strings.Contains(dacl, "(A;;0x12019b;;;BU)") || strings.Contains(dacl, ";;;AU)") || !strings.HasPrefix(dacl, "D:P") {
		t.Fatalf("DACL %s: want Users (BU) granted connect rights, and no Authenticated Users", dacl)
	}

	_, err = postbox.Send(ctxT(t), "pipe:"+pipe.Path(pipe.SystemOwner, addr), postbox.Message{ID: idHello})
	if wintest.IsWine() {
		// Wine has no LocalSystem: its services run as the Wine user, so
		// the system pipe's owner is not a system account and clients
		// refuse it as a squatter's, as they must.
		if !errors.Is(err, postbox.ErrDenied) || !strings.Contains(err.Error(), "not a system account") {
			t.Fatalf("dialing a system pipe under Wine: %v, want ErrDenied (owner not a system account)", err)
		}
		t.Log("Wine limitation: services do not run as LocalSystem, so a client cannot talk to a system endpoint here")
		return
	}
	if err != nil {
		t.Fatalf("a member of Users sending to the system service: %v", err)
	}
}
