package winmsg_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
)

// Window messages carry less than a Postbox stream: an LRESULT but no
// reply data, no error or panic, no deadline or cancellation for the
// window procedure, data only in WM_COPYDATA, no receipt for PostMessage.
// The suite's tests that need those are skipped with the reason; the
// behaviours winmsg does have are tested in this package's own tests,
// named in the reasons.
const (
	noReplyData = "window messages answer with an LRESULT only, no reply data (the suite checks echoed data)"
	noErrors    = "window messages have no error channel: a failing, panicking or closed handler answers LRESULT 0"
	noDeadline  = "Windows does not pass SendMessageTimeout's deadline or a cancellation to the window procedure"
	idZero      = "the suite posts message ID 0 (WM_NULL), a system message that never reaches the handler; data travels only in WM_COPYDATA"
)

var target = conformance.Target{
	Name:         "winmsg",
	Addr:         func(name string) string { return "winmsg:" + name },
	CrossProcess: true,
	Skip: map[string]string{
		"SendReply":          noReplyData + "; see TestSendCopyDataANSI, TestSeedSenderCopyData",
		"ManyClients":        noReplyData,
		"ManySendsOneConn":   noReplyData,
		"SendsPastTheWindow": noReplyData,
		"SendAsync":          noReplyData + "; see TestSendAsync",
		"Close":              noReplyData,
		"OversizeReply":      noReplyData,
		"PeerDeathMidSend":   noReplyData + "; see TestPeerDeathMidSend",
		"Ordering": "Windows handles sent messages (Send, and posts with data) before posted ones (Post without data), " +
			"so the two kinds are not ordered with each other; each kind is (TestPostboxToPostboxPostWithData, TestPostWithDataAcrossProcesses)",
		"PeerDeathReportsPosts":   "PostMessage gives no receipt: a message is delivered once Windows queues it, and dies with the window's queue; failed WM_COPYDATA posts are reported (TestWindowGoneReported, TestCloseReportsUndelivered)",
		"DeadlineReachesHandler":  noDeadline,
		"CancelReachesHandler":    noDeadline,
		"SendAsyncContext":        noDeadline,
		"BufferOwnership":         noReplyData + "; a sender's data is copied before SendAsync or Post returns (cloneData)",
		"HandlerError":            noErrors,
		"HandlerPanic":            noErrors,
		"EndpointCloseDuringSend": noErrors,
		"Oversize":                idZero + "; see TestOversizeRefusedBySender, TestSeedSenderOversizeRefused",
		"QueueFullAccounting":     idZero + "; the window's own queue bounds posts (TestPostQueueFull)",
		"PostThenFlush":           idZero + "; see TestPostboxToPostboxPostWithData",
		"PostStreamPastTheWindow": idZero + "; and window messages have no credit window: the window's own queue bounds posts (TestPostQueueFull)",
		"Concurrency":             idZero,
		"FlushWhileHandlerStuck":  idZero,
		"GracefulShutdown": noErrors + " (a Send refused during shutdown answers 0, not ErrClosed); and a connection's " +
			"sends and posts with data wait on the sender's side behind a running Send, so the endpoint never holds them queued",
		"ShutdownTimeoutReportsPosts": "posts without data wait in the window's own message queue, which the endpoint does not own: " +
			"those left when it closes die with the window, like PostMessage's (see PeerDeathReportsPosts)",
	},
}

func TestConformance(t *testing.T) { conformance.Run(t, target) }
