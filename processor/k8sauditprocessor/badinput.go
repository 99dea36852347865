// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// isBadInput tells the receiver's records for input that was not a valid
// audit event: their body is the raw text, which may hold anything an event
// holds, Secrets included.
func isBadInput(attrs pcommon.Map) bool {
	v, ok := attrs.Get(auditevent.AttrErrorType)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return false
	}
	return v.Str() == auditevent.ErrorTypeMalformed || v.Str() == auditevent.ErrorTypeOversized
}

// redactText redacts a text body that is not a usable event (a bad input, or
// a raw body that does not parse) and returns how many values it changed.
// Text that parses as JSON is redacted as an event whose objects are all
// suspect. Other text (an event cut at the size limit) loses everything from
// its first request or response object on, where Secrets and tokens are;
// with rules that need the structure (paths, dropped objects, pseudonyms),
// which text cannot honour, it is masked whole.
func (r *redactor) redactText(body pcommon.Value, attrs pcommon.Map) int {
	text := body.Str()
	parsed := pcommon.NewValueEmpty()
	if auditevent.ParseJSON([]byte(text), parsed) == nil {
		var n int
		if parsed.Type() == pcommon.ValueTypeMap {
			ev := auditevent.FromPartialMap(parsed.Map(), "")
			n = r.redact(&ev, attrs, true, "")
		} else {
			w := walker{r: r}
			w.value(parsed, true, true)
			n = w.n
			if r.tokens {
				r.scrubAttributes(attrs, "")
			}
		}
		if n > 0 {
			body.SetStr(string(appendJSON(nil, parsed)))
		}
		return n
	}

	if r.tokens {
		r.scrubAttributes(attrs, "")
	}
	if r.pseud != nil || len(r.removePaths) > 0 || len(r.maskPaths) > 0 || len(r.dropObjects) > 0 {
		if text == redactedMask {
			return 0
		}
		body.SetStr(redactedMask)
		return 1
	}
	n := 0
	if r.secrets || r.tokens {
		if i := objectsStart(text); i >= 0 {
			text = text[:i] + redactedMask
			n++
		}
	}
	if r.tokens {
		if out := r.scrubString(text); out != text {
			text = out
			n++
		}
	}
	if n > 0 {
		body.SetStr(text)
	}
	return n
}

// objectsStart is the offset of the first request or response object's key
// in an event's JSON text, or -1.
func objectsStart(text string) int {
	i := strings.Index(text, `"requestObject"`)
	if j := strings.Index(text, `"responseObject"`); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}
