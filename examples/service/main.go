// Command postbox-example is a Postbox endpoint that runs as a system
// service: under systemd with socket activation on Linux (it starts on the
// first message), or as a Windows service. Root, or LocalSystem, serves
// ordinary users through the system-wide namespace, with an access policy
// that names who may connect.
//
// Messages it answers:
//
//	0x004A  CopyData  Send: "hello USER (uid N), this is pid P: DATA"
//	0x0401  User+1    Send: work for W milliseconds (at most a minute), then answer
//	0x8000  App       Post: count a note
//	0x0402  User+2    Send: how many notes were posted (Result)
//
// Run it by hand:
//
//	postbox-example -addr demo-svc          # in your own namespace
//	postbox send demo-svc hi
//
// On Windows, "postbox-example install [FLAGS]" registers it as a service
// that runs with FLAGS; then "start", "stop", "uninstall".
//
// As a service, see the units beside this file and the README's "Run an
// endpoint as a service".
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/postbox-ipc/postbox"
)

// config is the service's command line.
type config struct {
	addr        string
	system      bool
	users       string
	groups      string
	anyUser     bool
	grace       time.Duration
	activation  bool
	serviceName string
}

func parseFlags(fs *flag.FlagSet, args []string) (*config, error) {
	c := &config{}
	fs.StringVar(&c.addr, "addr", "postbox-example", "the endpoint's name or address")
	fs.BoolVar(&c.system, "system", false, "live in the system-wide namespace (/run/postbox; on Windows the machine-wide pipe namespace)")
	fs.StringVar(&c.users, "allow-users", "", "comma-separated users who may connect, besides the service's own")
	fs.StringVar(&c.groups, "allow-groups", "", "comma-separated groups whose members may connect")
	fs.BoolVar(&c.anyUser, "any-user", false, "let every local user connect")
	fs.DurationVar(&c.grace, "grace", 10*time.Second, "on stop, how long to finish the messages already accepted")
	fs.BoolVar(&c.activation, "socket-activation", true, "serve the socket systemd passed, when it passed one")
	fs.StringVar(&c.serviceName, "service-name", "PostboxExample", "the Windows service's name")
	return c, fs.Parse(args)
}

// listenConfig turns the command line into the endpoint's configuration.
func (c *config) listenConfig(log *slog.Logger) *postbox.ListenConfig {
	return &postbox.ListenConfig{
		System:           c.system,
		AllowUsers:       split(c.users),
		AllowGroups:      split(c.groups),
		AllowAnyUser:     c.anyUser,
		SocketActivation: c.activation,
		Logger:           log,
		OnConnect: func(p postbox.Peer) {
			log.Info("connected", "pid", p.PID, "uid", p.UID, "sid", p.SID, "transport", p.Transport)
		},
		OnDisconnect: func(p postbox.Peer) { log.Info("disconnected", "pid", p.PID) },
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// serve runs the endpoint until ctx ends, then shuts it down gracefully.
// ready, if not nil, is called once the endpoint listens.
func serve(ctx context.Context, c *config, log *slog.Logger, ready func()) error {
	ep, err := c.listenConfig(log).Listen(context.Background(), c.addr, newHandler())
	if err != nil {
		return err
	}
	log.Info("serving", "addrs", ep.Addrs(), "pid", os.Getpid())
	if ready != nil {
		ready()
	}
	<-ctx.Done()
	st := ep.Stats()
	log.Info("shutting down", "queued", st.Queued, "running", st.Running, "grace", c.grace)
	sctx, cancel := context.WithTimeout(context.Background(), c.grace)
	defer cancel()
	err = ep.Shutdown(sctx)
	st = ep.Stats()
	log.Info("shut down", "handled", st.Handled, "refused", st.Errors["refused"], "err", err)
	return err
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], log); err != nil {
		fmt.Fprintln(os.Stderr, "postbox-example:", err)
		os.Exit(1)
	}
}
