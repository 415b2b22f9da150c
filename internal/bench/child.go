package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The child protocol: the measuring process writes one JSON request per
// line to the child's standard input; the child answers each with one JSON
// line on its standard output. The child serves one case at a time.
//
//	{"op":"serve","case":"unix","params":{…}}  → {"addr":"unix:/…"}
//	{"op":"cpu"}                                → {"cpu_ns":123}
//	{"op":"stop"}                               → {"received":42}
//	{"op":"quit"}                               → {} and the child exits
//
// A failed request is answered with {"err":"…"}.
type childRequest struct {
	Op     string `json:"op"`
	Case   string `json:"case,omitempty"`
	Params Params `json:"params"`
}

type childResponse struct {
	Addr     string `json:"addr,omitempty"`
	CPU      int64  `json:"cpu_ns,omitempty"`
	Received int64  `json:"received,omitempty"`
	Err      string `json:"err,omitempty"`
}

// ServeChild runs the child side of the protocol on in and out until the
// measuring process says quit or closes in. A program calls it when it was
// started as a benchmark child (postbox bench --child).
func ServeChild(ctx context.Context, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	var srv Server
	defer func() {
		if srv != nil {
			srv.Close()
		}
	}()
	for sc.Scan() {
		var req childRequest
		var resp childResponse
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp.Err = "bad request: " + err.Error()
		} else if req.Op == "quit" {
			return enc.Encode(resp)
		} else {
			resp = answer(ctx, &req, &srv)
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
	}
	return sc.Err()
}

// answer carries out one request; *srv is the case being served.
func answer(ctx context.Context, req *childRequest, srv *Server) childResponse {
	switch req.Op {
	case "serve":
		if *srv != nil {
			return childResponse{Err: "already serving"}
		}
		c, err := lookupCase(req.Case)
		if err != nil {
			return childResponse{Err: err.Error()}
		}
		s, err := c.Serve(ctx, req.Params)
		if err != nil {
			return childResponse{Err: err.Error()}
		}
		*srv = s
		return childResponse{Addr: s.Addr()}
	case "cpu":
		return childResponse{CPU: int64(cpuTime())}
	case "stop":
		if *srv == nil {
			return childResponse{Err: "not serving"}
		}
		n := (*srv).Received()
		err := (*srv).Close()
		*srv = nil
		return childResponse{Received: n, Err: errText(err)}
	}
	return childResponse{Err: fmt.Sprintf("unknown op %q", req.Op)}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// childError is a failure the child reported.
var errChild = errors.New("bench child")
