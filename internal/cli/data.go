package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// readData turns a DATA argument into bytes: "@FILE" reads a file, "-"
// reads standard input, anything else is the text itself.
func readData(e *env, arg string) ([]byte, error) {
	switch {
	case arg == "-":
		return io.ReadAll(e.stdin)
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("reading data: %w", err)
		}
		return b, nil
	}
	return []byte(arg), nil
}

// printable renders data for a one-line display: text quoted, binary as hex.
func printable(b []byte, limit int) string {
	cut := ""
	if limit > 0 && len(b) > limit {
		b, cut = b[:limit], fmt.Sprintf("…(+%d bytes)", len(b)-limit)
	}
	if utf8.Valid(b) {
		return fmt.Sprintf("%q%s", b, cut)
	}
	return fmt.Sprintf("0x%x%s", b, cut)
}

// jsonData puts data in JSON output, always under "data", with its
// "encoding": "utf-8" when it is valid UTF-8 (the text itself), otherwise
// "base64" (standard, padded).
func jsonData(obj map[string]any, b []byte) {
	if utf8.Valid(b) {
		obj["data"], obj["encoding"] = string(b), "utf-8"
	} else {
		obj["data"], obj["encoding"] = base64.StdEncoding.EncodeToString(b), "base64"
	}
}

func writeJSON(w io.Writer, obj any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(obj)
}
