package namespace

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
)

// List returns the live endpoints in the namespace, sorted by name. An info
// file whose owner is dead is skipped.
func (ns *Namespace) List() ([]Info, error) {
	entries, err := os.ReadDir(ns.Dir)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || ValidName(name) != nil {
			continue
		}
		info, err := ns.readInfo(name)
		if err != nil || !ns.Live(name) {
			continue
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Live reports whether name has a live owner.
func (ns *Namespace) Live(name string) bool {
	held, err := isLocked(ns.Path(name, "lock"))
	return err == nil && held
}

// Lookup returns the info of a live endpoint.
func (ns *Namespace) Lookup(name string) (Info, bool) {
	info, err := ns.readInfo(name)
	if err != nil || !ns.Live(name) {
		return Info{}, false
	}
	return info, true
}

func (ns *Namespace) readInfo(name string) (Info, error) {
	var info Info
	b, err := os.ReadFile(ns.Path(name, "json"))
	if err != nil {
		return info, err
	}
	if len(b) > 64<<10 {
		return info, os.ErrInvalid
	}
	err = json.Unmarshal(b, &info)
	return info, err
}
