package nats

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox/driver"
)

// maxErrorText bounds the error text sent back to a sender.
const maxErrorText = 4 << 10

// handle acts on one received NATS message; inline lets a handler run in
// the calling goroutine.
func (l *listener) handle(m *gonats.Msg, inline bool) {
	switch m.Header.Get(HeaderKind) {
	case KindHello:
		if m.Reply != "" {
			l.hello(m)
		}
		return
	case KindCancel:
		l.cancel(m.Header.Get(HeaderCancel))
		return
	case KindSync:
		// Every earlier message from this sender has been read, so every
		// earlier Post is in the queue.
		l.publish(&gonats.Msg{Subject: m.Reply, Header: gonats.Header{HeaderStatus: {StatusSynced}}})
		return
	}
	l.request(m, inline)
}

// request turns a Send or Post into a request for the loop.
func (l *listener) request(m *gonats.Msg, inline bool) {
	broadcast := m.Subject == l.t.allSubject()
	inbox := l.inboxOf(m)
	isPost := m.Header.Get(HeaderKind) == KindPost || inbox != "" && strings.HasSuffix(m.Reply, ".p")
	isSend := m.Reply != "" && !isPost
	s, err := l.senderFor(inbox)
	r := driver.NewRequest()
	var timeout int64
	if err == nil {
		timeout, err = l.check(m, inbox != "", &r.Msg)
	}
	if err != nil {
		driver.Free(r)
		l.refuse(s, inbox, m, isSend, err)
		return
	}
	r.Size = len(r.Msg.Data)
	r.Aux = m
	if broadcast {
		h := l.endpointHeader()
		h[HeaderStatus] = []string{StatusAccepted}
		l.publish(&gonats.Msg{Subject: m.Reply, Header: h})
	}
	if isSend {
		r.Seq = l.seq.Add(1)
		if timeout > 0 {
			r.Deadline = time.Now().Add(time.Duration(timeout))
		}
		l.track(m.Reply, flight{s: s, seq: r.Seq})
	}
	s.deliver(r, inline)
}

// inboxOf names the Postbox connection a message on the instance subject
// comes from: its inbox, the reply subject less its last token. Messages
// on the name's subject come from plain NATS clients: "".
func (l *listener) inboxOf(m *gonats.Msg) string {
	if m.Subject != l.inst {
		return ""
	}
	i := strings.LastIndexByte(m.Reply, '.')
	if i <= 0 {
		return ""
	}
	return m.Reply[:i]
}

// check validates a message's size and fields, filling in msg and
// returning the sender's timeout: from the prefix on an instance subject
// (framed), from headers otherwise.
func (l *listener) check(m *gonats.Msg, framed bool, msg *driver.Message) (int64, error) {
	size := len(m.Data)
	if framed {
		size -= reqPrefix
	}
	if size > l.max {
		return 0, fmt.Errorf("%w: %d bytes, %s accepts %d", driver.ErrTooLarge, size, l.name, l.max)
	}
	if framed {
		return readRequest(m.Data, msg)
	}
	if err := readMessage(m.Header, msg); err != nil {
		return 0, fmt.Errorf("%w: %v", driver.ErrProtocol, err)
	}
	msg.Data = m.Data
	return intHeader(m.Header, HeaderTimeout), nil
}

// refuse answers a message the endpoint will not handle.
func (l *listener) refuse(s *sender, inbox string, m *gonats.Msg, isSend bool, err error) {
	switch {
	case isSend:
		l.replyErr(m, err, m.Subject == l.t.allSubject())
	case s != nil && s.inbox != "":
		s.refused(err, len(m.Data))
	case inbox != "":
		// No queue to account it to (refused at the door): tell the sender.
		h := gonats.Header{HeaderCredit: {"1"}, HeaderBytes: {strconv.Itoa(len(m.Data))}, HeaderRefused: {"1"},
			HeaderError: {strconv.Itoa(int(driver.CodeOf(err)))}}
		l.publish(&gonats.Msg{Subject: inbox + ".c", Header: h})
	default:
		l.log.Warn("postbox: nats: dropped a message", "endpoint", l.name, "err", err)
	}
}

// senderFor returns the queue of the Postbox connection with the given
// inbox ("" for plain NATS clients, who share one), attaching it first.
// The inbox's last token is the sender's PID.
func (l *listener) senderFor(inbox string) (*sender, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, driver.ErrClosed
	}
	if s := l.senders[inbox]; s != nil {
		s.touch()
		return s, nil
	}
	peer := driver.Peer{PID: -1, UID: -1, GID: -1, Transport: Scheme, Addr: inbox, Identity: Identity}
	if n, err := strconv.Atoi(inbox[strings.LastIndexByte(inbox, '.')+1:]); err == nil && n > 0 {
		peer.PID = n
	}
	if l.cfg.Auth != nil {
		if err := l.cfg.Auth(peer); err != nil {
			return nil, fmt.Errorf("%w: %v", driver.ErrDenied, err)
		}
	}
	s := &sender{l: l, id: inbox, inbox: inbox}
	s.src = l.loop.Attach(peer, s, l.window)
	s.touch()
	l.senders[inbox] = s
	return s, nil
}

// reply answers a Send (or a broadcast) with the handler's outcome.
func (l *listener) reply(m *gonats.Msg, rep driver.Reply, err error, broadcast bool) {
	if err == nil && len(rep.Data) > l.outMax {
		err = fmt.Errorf("%w: reply of %d bytes, the NATS server carries %d", driver.ErrTooLarge, len(rep.Data), l.outMax)
	}
	if err != nil {
		l.replyErr(m, err, broadcast)
		return
	}
	if m.Subject == l.inst {
		l.publishRaw(m.Reply, appendAnswer(rep.Result, 0, rep.Data))
		return
	}
	out := &gonats.Msg{Subject: m.Reply, Data: rep.Data}
	if broadcast {
		out.Header = l.endpointHeader()
	}
	if rep.Result != 0 {
		if out.Header == nil {
			out.Header = gonats.Header{}
		}
		out.Header[HeaderResult] = []string{strconv.FormatInt(rep.Result, 10)}
	}
	l.publish(out)
}

// replyErr answers with an error code and text.
func (l *listener) replyErr(m *gonats.Msg, err error, broadcast bool) {
	text := err.Error()
	var re *driver.RemoteError
	if errors.As(err, &re) {
		text = re.Message
	}
	text = text[:min(len(text), maxErrorText)]
	if m.Subject == l.inst {
		l.publishRaw(m.Reply, appendAnswer(0, driver.CodeOf(err), []byte(text)))
		return
	}
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
