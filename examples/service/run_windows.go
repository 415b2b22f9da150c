package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// run dispatches the Windows command line:
//
//	postbox-example install [FLAGS]   install the service, to run with FLAGS
//	postbox-example uninstall
//	postbox-example start | stop
//	postbox-example service [FLAGS]   what the service manager runs
//	postbox-example [FLAGS]           serve in the console until Ctrl-C
//
// The service's command line names its mode ("service") rather than
// guessing it from the parent process (svc.IsWindowsService), which Wine's
// service manager does not satisfy.
func run(args []string, log *slog.Logger) error {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	c, err := parseFlags(flag.NewFlagSet("postbox-example "+cmd, flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	switch cmd {
	case "install":
		return install(c.serviceName, args)
	case "uninstall":
		return uninstall(c.serviceName)
	case "start":
		return control(c.serviceName, func(s *mgr.Service) error { return s.Start() })
	case "stop":
		return control(c.serviceName, func(s *mgr.Service) error { _, err := s.Control(svc.Stop); return err })
	case "service":
		if elog, err := eventlog.Open(c.serviceName); err == nil {
			defer elog.Close()
			log = slog.New(slog.NewTextHandler(eventWriter{elog}, nil))
		}
		return svc.Run(c.serviceName, &handler{c: c, log: log})
	case "":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return serve(ctx, c, log, nil)
	}
	return fmt.Errorf("unknown command %q (want install, uninstall, start, stop or service)", cmd)
}

// handler is the service's side of the service control manager's protocol.
type handler struct {
	c   *config
	log *slog.Logger
}

// Execute serves until the manager says stop (or the machine shuts down),
// then shuts the endpoint down gracefully within the grace period, which
// it announces as the stop's wait hint.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- serve(ctx, h.c, h.log, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		h.log.Error("cannot serve", "err", err)
		return true, 1
	}
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			h.log.Error("stopped serving", "err", err)
			return true, 2
		case r := <-req:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32((h.c.grace + 5*time.Second) / time.Millisecond)}
				cancel()
				if err := <-done; err != nil {
					h.log.Error("shutdown", "err", err)
				}
				return false, 0
			}
		}
	}
}

// install registers the service to start automatically as LocalSystem,
// running this program with args, and its event log source.
func install(serviceName string, args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return fmt.Errorf("service %s is already installed", serviceName)
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		DisplayName: "Postbox example endpoint (" + serviceName + ")",
		Description: "Answers Postbox messages in the machine-wide namespace: " + strings.Join(args, " "),
		StartType:   mgr.StartAutomatic,
	}, append([]string{"service"}, args...)...)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		_ = s.Delete()
		return fmt.Errorf("event log source: %w", err)
	}
	return nil
}

// uninstall removes the service and its event log source.
func uninstall(serviceName string) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", serviceName, err)
	}
	defer s.Close()
	return errors.Join(s.Delete(), eventlog.Remove(serviceName))
}

func control(serviceName string, f func(*mgr.Service) error) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return err
	}
	defer s.Close()
	return f(s)
}

// eventWriter sends each log line to the Windows event log.
type eventWriter struct{ l *eventlog.Log }

func (w eventWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	var err error
	switch {
	case strings.Contains(line, "level=ERROR"):
		err = w.l.Error(1, line)
	case strings.Contains(line, "level=WARN"):
		err = w.l.Warning(1, line)
	default:
		err = w.l.Info(1, line)
	}
	return len(p), err
}
