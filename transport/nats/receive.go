package nats

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
)

// maxErrorText bounds the error text sent back to a sender.
const maxErrorText = 4 << 10

// handle turns one received NATS message into a request for the loop.
func (l *listener) handle(m *gonats.Msg) {
	broadcast := m.Subject == l.t.allSubject()
	kind := m.Header.Get(HeaderKind)
	if kind == KindHello && m.Reply != "" {
		l.hello(m)
		return
	}
	isSend := m.Reply != "" && kind != KindPost
	s, err := l.senderFor(m.Header.Get(HeaderSender))
	if err == nil && len(m.Data) > l.max {
		err = fmt.Errorf("%w: %d bytes, %s accepts %d", postbox.ErrTooLarge, len(m.Data), l.name, l.max)
	}
	r := driver.NewRequest()
	if err == nil {
		err = readMessage(m.Header, &r.Msg)
		if err != nil {
			err = fmt.Errorf("%w: %v", postbox.ErrProtocol, err)
		}
	}
	if err != nil {
		driver.Free(r)
		if m.Reply != "" {
			l.replyErr(m, err, broadcast)
		}
		return
	}
	r.Msg.Data = m.Data
	r.Size = len(m.Data)
	r.Aux = m
	if broadcast {
		h := l.endpointHeader()
		h[HeaderStatus] = []string{StatusAccepted}
		l.publish(&gonats.Msg{Subject: m.Reply, Header: h})
	}
	if isSend {
		r.Seq = l.seq.Add(1)
		if ns, err := strconv.ParseInt(m.Header.Get(HeaderTimeout), 10, 64); err == nil && ns > 0 {
			r.Deadline = time.Now().Add(time.Duration(ns))
		}
		l.track(m.Reply, &flight{s: s, seq: r.Seq, since: time.Now(), hb: s.id != ""})
	}
	s.deliver(r)
}

// senderFor returns the queue of the sender with the given HeaderSender
// value ("" for plain NATS clients, who share one), attaching it first.
func (l *listener) senderFor(id string) (*sender, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, postbox.ErrClosed
	}
	if s := l.senders[id]; s != nil {
		s.touch()
		return s, nil
	}
	peer := postbox.Peer{PID: -1, UID: -1, GID: -1, Transport: Scheme, Addr: id, Identity: Identity}
	if pid, _, ok := strings.Cut(id, "/"); ok {
		if n, err := strconv.Atoi(pid); err == nil && n > 0 {
			peer.PID = n
		}
	}
	if l.cfg.Auth != nil {
		if err := l.cfg.Auth(peer); err != nil {
			return nil, fmt.Errorf("%w: %v", postbox.ErrDenied, err)
		}
	}
	s := &sender{l: l, id: id}
	s.src = l.loop.Attach(peer, s, l.cfg.QueueLenOr())
	s.touch()
	l.senders[id] = s
	return s, nil
}

func (l *listener) track(reply string, f *flight) {
	l.mu.Lock()
	l.inflight[reply] = f
	l.mu.Unlock()
}

func (l *listener) untrack(reply string) {
	l.mu.Lock()
	delete(l.inflight, reply)
	l.mu.Unlock()
}

// reply answers a Send (or a broadcast) with the handler's outcome.
func (l *listener) reply(m *gonats.Msg, rep postbox.Reply, err error, broadcast bool) {
	if err == nil && len(rep.Data) > l.max {
		err = fmt.Errorf("%w: reply of %d bytes, the limit is %d", postbox.ErrTooLarge, len(rep.Data), l.max)
	}
	if err != nil {
		l.replyErr(m, err, broadcast)
		return
	}
	out := &gonats.Msg{Subject: m.Reply, Data: rep.Data, Header: gonats.Header{}}
	if broadcast {
		out.Header = l.endpointHeader()
	}
	if rep.Result != 0 {
		out.Header[HeaderResult] = []string{strconv.FormatInt(rep.Result, 10)}
	}
	l.publish(out)
}

// replyErr answers with an error code and text.
func (l *listener) replyErr(m *gonats.Msg, err error, broadcast bool) {
	text := err.Error()
	var re *postbox.RemoteError
	if errors.As(err, &re) {
		text = re.Message
	}
	text = text[:min(len(text), maxErrorText)]
	h := gonats.Header{}
	if broadcast {
		h = l.endpointHeader()
	}
	h[HeaderError] = []string{strconv.Itoa(int(driver.CodeOf(err)))}
	l.publish(&gonats.Msg{Subject: m.Reply, Data: []byte(text), Header: h})
}

// endpointHeader names the answering endpoint, for broadcasts.
func (l *listener) endpointHeader() gonats.Header {
	return gonats.Header{HeaderEndpoint: {l.name}, HeaderPID: {strconv.Itoa(os.Getpid())}}
}

// ack tells a Post's sender the message is in the queue.
func (l *listener) ack(m *gonats.Msg) {
	l.publish(&gonats.Msg{Subject: m.Reply, Header: gonats.Header{HeaderStatus: {StatusAccepted}}})
}

func (l *listener) publish(m *gonats.Msg) {
	if err := l.nc.PublishMsg(m); err != nil {
		l.log.Warn("postbox: nats: answer lost", "endpoint", l.name, "err", err)
	}
}
