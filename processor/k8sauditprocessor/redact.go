// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

const (
	redactedMask          = "[REDACTED]"
	lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	// lastAppliedPatchPath is where a JSON patch sets the annotation ("/" in
	// the key is escaped as "~1").
	lastAppliedPatchPath = "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"
)

// redactor removes secrets, tokens and user-chosen paths from a record.
type redactor struct {
	secrets bool
	tokens  bool
	// jwt matches JWS (three parts) and JWE (five parts) compact tokens: the
	// header is base64url JSON, so it starts with "eyJ".
	jwt *regexp.Regexp
	// bearer matches an Authorization header value.
	bearer      *regexp.Regexp
	removePaths []bodyPath
	maskPaths   []bodyPath
	dropObjects []resourceName
	pseud       *pseudonymizer
}

// resourceName is an entry of drop_objects: "configmaps" (any group) or
// "deployments.apps".
type resourceName struct {
	resource, group string
	anyGroup        bool
}

func newRedactor(cfg *RedactionConfig) *redactor {
	r := &redactor{
		secrets:     cfg.Secrets,
		tokens:      cfg.Tokens,
		jwt:         regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?`),
		bearer:      regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9._~+/-]+=*`),
		removePaths: mustParsePaths(cfg.RemovePaths),
		maskPaths:   mustParsePaths(cfg.MaskPaths),
	}
	for _, d := range cfg.DropObjects {
		resource, group, ok := strings.Cut(d, ".")
		r.dropObjects = append(r.dropObjects, resourceName{resource: resource, group: group, anyGroup: !ok})
	}
	if p := cfg.Pseudonymize.Get(); p != nil {
		r.pseud = newPseudonymizer(p)
	}
	return r
}

// enabled tells whether the redactor can change anything.
func (r *redactor) enabled() bool {
	return r.secrets || r.tokens || len(r.removePaths) > 0 || len(r.maskPaths) > 0 || len(r.dropObjects) > 0 || r.pseud != nil
}

// redact redacts the body of ev and the record's attributes, and returns
// the number of values it changed in the body. Attributes that repeat a body
// field are redacted alongside and not counted again. suspect treats the
// request and response objects as Secrets and token requests whatever the
// objectRef says: for invalid events, whose objectRef cannot be trusted.
//
// clean is a text known to hold no token (the raw body on the fast path,
// which textIsClean checked), or "": attribute values sliced from it are
// not searched again.
func (r *redactor) redact(ev *auditevent.Event, attrs pcommon.Map, suspect bool, clean string) int {
	body := ev.Body
	n := 0
	if r.dropsObjectsOf(&ev.ObjectRef) {
		for _, key := range [...]string{"requestObject", "responseObject"} {
			if body.Remove(key) {
				n++
			}
		}
	}
	if r.secrets || r.tokens {
		ref := &ev.ObjectRef
		secret := suspect || (ref.Resource == "secrets" && ref.APIGroup == "")
		token := suspect || (ref.Resource == "tokenreviews" && ref.APIGroup == "authentication.k8s.io") ||
			(ref.Resource == "serviceaccounts" && ref.Subresource == "token" && ref.APIGroup == "")
		w := walker{r: r}
		body.Range(func(k string, v pcommon.Value) bool {
			if k == "requestObject" || k == "responseObject" {
				w.value(v, secret, token)
			} else {
				w.value(v, false, false)
			}
			return true
		})
		n += w.n
	}
	for _, p := range r.removePaths {
		n += p.remove(body)
	}
	for _, p := range r.maskPaths {
		n += p.mask(body)
	}
	if r.pseud != nil {
		n += r.pseud.apply(ev, attrs)
	}
	if r.tokens {
		r.scrubAttributes(attrs, clean)
	}
	return n
}

func (r *redactor) dropsObjectsOf(ref *auditevent.ObjectRef) bool {
	for _, d := range r.dropObjects {
		if d.resource == ref.Resource && (d.anyGroup || d.group == ref.APIGroup) {
			return true
		}
	}
	return false
}

// scrubAttributes masks tokens in string attributes and string lists.
func (r *redactor) scrubAttributes(attrs pcommon.Map, clean string) {
	w := walker{r: r, clean: clean}
	attrs.Range(func(_ string, v pcommon.Value) bool {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			w.scrub(v)
		case pcommon.ValueTypeSlice:
			s := v.Slice()
			for i := 0; i < s.Len(); i++ {
				if s.At(i).Type() == pcommon.ValueTypeStr {
					w.scrub(s.At(i))
				}
			}
		}
		return true
	})
}

// scrubString masks tokens in s.
func (r *redactor) scrubString(s string) string {
	if !mayHoldToken(s) {
		return s
	}
	s = r.jwt.ReplaceAllLiteralString(s, redactedMask)
	return r.bearer.ReplaceAllString(s, "${1} "+redactedMask)
}

// mayHoldToken is a cheap test that spares the regular expressions almost
// every string. It never misses what they match: both start with "eyJ" or a
// case-folded "bearer".
func mayHoldToken(s string) bool {
	if len(s) < minTokenLen {
		return false
	}
	if len(s) <= shortText {
		return keyMayHoldToken(s)
	}
	return hasEyJ(s) || hasBearer(s, 'b') || hasBearer(s, 'B')
}

// hasEyJ is strings.Contains(s, "eyJ"), searched by its rare byte: "e" is
// in every other word of an event.
func hasEyJ(s string) bool { return containsBy(s, "eyJ", 'J') }

// containsBy is strings.Contains(s, sub) searched by b, a byte of sub that
// audit events rarely hold where sub's first byte is in every other word:
// strings.Index stops at each of those.
func containsBy(s, sub string, b byte) bool {
	at := strings.IndexByte(sub, b)
	for i := at; i < len(s); i++ {
		j := strings.IndexByte(s[i:], b)
		if j < 0 {
			return false
		}
		i += j
		if start := i - at; start >= 0 && start+len(sub) <= len(s) && s[start:start+len(sub)] == sub {
			return true
		}
	}
	return false
}

// shortText is the length up to which one pass over the bytes beats the
// vectorised searches of strings (measured: BenchmarkMayHoldToken).
const shortText = 32

// hasBearer reports a case-folded "bearer" starting with the byte b.
func hasBearer(s string, b byte) bool {
	for {
		i := strings.IndexByte(s, b)
		if i < 0 || len(s)-i < len("bearer") {
			return false
		}
		if strings.EqualFold(s[i+1:i+6], "earer") {
			return true
		}
		s = s[i+1:]
	}
}

// minTokenLen is the shortest text the token expressions match ("eyJab.c." or
// "bearer x").
const minTokenLen = 8

// keyMayHoldToken is mayHoldToken for map keys: a body has many, nearly all
// short, for which one pass over the bytes beats the searches.
func keyMayHoldToken(k string) bool {
	if len(k) < minTokenLen || !hasJOrLowByte(k) {
		return false
	}
	for i := 0; i+3 <= len(k); i++ {
		switch k[i] {
		case 'e':
			if k[i+1] == 'y' && k[i+2] == 'J' {
				return true
			}
		case 'b', 'B':
			if i+6 <= len(k) && strings.EqualFold(k[i:i+6], "bearer") {
				return true
			}
		}
	}
	return false
}

// The bearer expression needs whitespace after "bearer" (\s, one of
// [\t\n\f\r ]) and the JWT one a "J": most keys and short values have
// neither, which eight bytes at a time tells sooner than the byte loop. A
// byte below '!' stands for the whitespace, a superset. (Whole event texts
// hold a space almost always: there the gate would only cost.)
const (
	lowBytes  = 0x0101010101010101
	highBits  = 0x8080808080808080
	allJ      = 'J' * lowBytes
	allBang   = '!' * lowBytes
	wordBytes = 8
)

// hasJOrLowByte reports a 'J' or a byte below '!' in s, len(s) >= 8.
func hasJOrLowByte(s string) bool {
	for i := 0; ; i += wordBytes {
		i = min(i, len(s)-wordBytes) // the last word overlaps the one before
		x := word(s, i)
		if hasZeroByte(x^allJ) || (x-allBang)&^x&highBits != 0 {
			return true
		}
		if i+wordBytes >= len(s) {
			return false
		}
	}
}

func hasZeroByte(x uint64) bool { return (x-lowBytes)&^x&highBits != 0 }

// word is the eight bytes of s from i, little-endian (the compiler makes it
// one load).
func word(s string, i int) uint64 {
	s = s[i : i+wordBytes]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// walker walks a body and counts what it changes. secret is set inside the
// objects of a request on secrets and inside any object of kind Secret; token
// inside TokenReview and TokenRequest objects.
type walker struct {
	r *redactor
	n int
	// clean is a text without tokens: a string within its memory is a
	// substring of it, which cannot hold one either.
	clean string
}

func (w *walker) value(v pcommon.Value, secret, token bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if w.r.tokens {
			w.scrub(v)
		}
	case pcommon.ValueTypeMap:
		w.object(v.Map(), secret, token)
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			w.value(s.At(i), secret, token)
		}
	}
}

func (w *walker) object(m pcommon.Map, secret, token bool) {
	if k, ok := m.Get("kind"); ok && k.Type() == pcommon.ValueTypeStr {
		switch k.Str() {
		case "Secret":
			secret = true
		case "TokenReview", "TokenRequest":
			token = true
		}
	}
	secret = secret && w.r.secrets
	token = token && w.r.tokens
	handled := ""
	if secret {
		handled = w.patchOperation(m)
	}
	var tokenKeys []string
	m.Range(func(k string, v pcommon.Value) bool {
		if w.r.tokens && keyMayHoldToken(k) {
			tokenKeys = append(tokenKeys, k)
		}
		switch {
		case k == handled:
		case secret && (k == "data" || k == "stringData"):
			w.maskAll(v)
		case token && k == "token":
			w.maskAll(v)
		case k == lastAppliedAnnotation && w.r.secrets && v.Type() == pcommon.ValueTypeStr:
			w.lastApplied(v, secret)
		default:
			w.value(v, secret, token)
		}
		return true
	})
	for _, k := range tokenKeys {
		w.scrubKey(m, k)
	}
}

// scrubKey masks tokens in a map key (a ConfigMap or Secret key may be a JWT):
// the value moves to the scrubbed key, made unique if it is taken.
func (w *walker) scrubKey(m pcommon.Map, k string) {
	out := w.r.scrubString(k)
	if out == k {
		return
	}
	for i := 2; ; i++ {
		if _, taken := m.Get(out); !taken {
			break
		}
		out = w.r.scrubString(k) + "-" + strconv.Itoa(i)
	}
	v, _ := m.Get(k)
	moved := pcommon.NewValueEmpty()
	v.MoveTo(moved)
	m.Remove(k)
	moved.MoveTo(m.PutEmpty(out))
	w.n++
}

// patchOperation masks the value of a JSON patch operation (RFC 6902) that
// sets Secret data or the last-applied annotation, and returns "value" when
// it did so.
func (w *walker) patchOperation(m pcommon.Map) string {
	op, ok := m.Get("op")
	if !ok || op.Type() != pcommon.ValueTypeStr {
		return ""
	}
	path, ok := m.Get("path")
	if !ok || path.Type() != pcommon.ValueTypeStr {
		return ""
	}
	val, ok := m.Get("value")
	if !ok {
		return ""
	}
	p := path.Str()
	switch {
	case hasPathPrefix(p, "/data") || hasPathPrefix(p, "/stringData"):
		w.maskAll(val)
		return "value"
	case p == lastAppliedPatchPath && val.Type() == pcommon.ValueTypeStr:
		w.lastApplied(val, true)
		return "value"
	}
	return ""
}

func hasPathPrefix(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// maskAll masks a value, or each value of a map (keys stay: which keys a
// Secret has is not secret, and it keeps the record useful).
func (w *walker) maskAll(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
	case pcommon.ValueTypeMap:
		v.Map().Range(func(_ string, x pcommon.Value) bool {
			if x.Type() != pcommon.ValueTypeEmpty && !isMask(x) {
				x.SetStr(redactedMask)
				w.n++
			}
			return true
		})
	default:
		if !isMask(v) {
			v.SetStr(redactedMask)
			w.n++
		}
	}
}

// lastApplied redacts kubectl's last-applied-configuration annotation: the
// applied object as JSON text, with a Secret's stringData in plain text.
func (w *walker) lastApplied(v pcommon.Value, secret bool) {
	s := v.Str()
	if !secret && !strings.Contains(s, `"Secret"`) {
		if w.r.tokens {
			w.scrub(v)
		}
		return
	}
	parsed := pcommon.NewValueEmpty()
	if err := auditevent.ParseJSON([]byte(s), parsed); err != nil || parsed.Type() != pcommon.ValueTypeMap {
		// Unreadable: it may hold anything.
		v.SetStr(redactedMask)
		w.n++
		return
	}
	inner := walker{r: w.r}
	inner.value(parsed, secret, false)
	if inner.n == 0 {
		return
	}
	w.n += inner.n
	v.SetStr(string(appendJSON(nil, parsed)))
}

func (w *walker) scrub(v pcommon.Value) {
	s := v.Str()
	if within(s, w.clean) {
		return
	}
	if out := w.r.scrubString(s); out != s {
		v.SetStr(out)
		w.n++
	}
}

// within reports that the non-empty s lies in text's memory.
func within(s, text string) bool {
	if s == "" || text == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	base := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	return p >= base && p+uintptr(len(s)) <= base+uintptr(len(text))
}
