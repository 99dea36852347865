// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// scanRaw reads the event of a record with a raw body without parsing the
// body into a map, when the text shows that nothing the processor does
// needs the map: no policy (which rewrites the body), no path rules or
// pseudonyms, no request or response object (enrichment reads them,
// redaction rewrites them), and none of the text redaction acts on. The
// fields come from the attributes the receiver set from the same text;
// only the latency of a later stage whose record lacks
// k8s.audit.request_received_time reads the text again. A record without
// the receiver's attributes is scanned; anything else, and any event that
// is not valid, takes the general path. ok says the event was read.
func (p *auditProcessor) scanRaw(lr plog.LogRecord) (ev auditevent.Event, ok bool) {
	text := lr.Body().Str()
	if p.noRawFastPath || p.policy != nil || hasObjectMember(text) || !p.redactor.textIsClean(text) {
		return ev, false
	}
	if ev, ok = auditevent.EventOfRecord(lr); !ok {
		ev, err := auditevent.ScanText(text)
		return ev, err == nil
	}
	if p.enrich.Latency && ev.Stage != auditevent.StageRequestReceived && ev.RequestReceived.IsZero() {
		times := auditevent.StageTimesOfText(text)
		ev.StageTime, ev.RequestReceived = times.StageTime, times.RequestReceived
	}
	return ev, true
}

// hasObjectMember reports `"requestObject"` or `"responseObject"` in text,
// by their rare byte "O": a search that starts with a quote stops at every
// quote of the JSON.
func hasObjectMember(text string) bool {
	for {
		i := strings.Index(text, `Object"`)
		if i < 0 {
			return false
		}
		if before := text[:i]; strings.HasSuffix(before, `"request`) || strings.HasSuffix(before, `"response`) {
			return true
		}
		text = text[i+1:]
	}
}

// textIsClean reports that redaction would change nothing in the body of
// this text, nor need to look: no rules that act on any path, no escape
// that could spell a token or a name, no token pattern, and no kind or
// annotation that makes redaction mask data.
func (r *redactor) textIsClean(text string) bool {
	if r == nil {
		return true
	}
	if r.pseud != nil || len(r.removePaths) > 0 || len(r.maskPaths) > 0 || mayEscapeALetter(text) {
		return false
	}
	if r.tokens && (mayHoldToken(text) || strings.Contains(text, "TokenRe")) {
		return false
	}
	return !r.secrets || !(strings.Contains(text, "Secret") || containsBy(text, "last-applied-configuration", 'f'))
}

// mayEscapeALetter reports a \u escape other than those kube-apiserver's
// encoder (Go's encoding/json) writes for &, <, >, U+2028 and U+2029, which
// spell nothing a token or a name is made of. Only \u can spell a letter;
// the other escapes are \", \\, \/ and control characters.
func mayEscapeALetter(text string) bool {
	for {
		i := strings.Index(text, `\u`)
		if i < 0 {
			return false
		}
		text = text[i+2:]
		if len(text) < 4 {
			return true
		}
		switch text[:4] {
		case "0026", "003c", "003e", "2028", "2029":
		default:
			return true
		}
		text = text[4:]
	}
}
