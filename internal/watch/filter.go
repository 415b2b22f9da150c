package watch

import (
	"encoding/json"
	"fmt"
	"slices"
)

// maxFilter bounds a filter's JSON.
const maxFilter = 16 << 10

// Filter selects the records a spy receives. Empty lists match everything.
type Filter struct {
	IDs    []uint32 `json:"ids,omitempty"`    // message IDs
	PIDs   []int    `json:"pids,omitempty"`   // sender process IDs
	UIDs   []int    `json:"uids,omitempty"`   // sender user IDs
	Errors bool     `json:"errors,omitempty"` // only messages whose handler failed
}

func (f *Filter) match(s *slot) bool {
	return (len(f.IDs) == 0 || slices.Contains(f.IDs, s.id)) &&
		(len(f.PIDs) == 0 || slices.Contains(f.PIDs, int(s.pid))) &&
		(len(f.UIDs) == 0 || slices.Contains(f.UIDs, int(s.uid))) &&
		(!f.Errors || s.kind != 0)
}

// Encode is the filter as a poll carries it.
func (f Filter) Encode() []byte {
	b, _ := json.Marshal(f)
	return b
}

func decodeFilter(b []byte) (Filter, error) {
	var f Filter
	if len(b) == 0 {
		return f, nil
	}
	if len(b) > maxFilter {
		return f, fmt.Errorf("spy filter of %d bytes; the limit is %d", len(b), maxFilter)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("spy filter: %v", err)
	}
	return f, nil
}
