// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// MaxRawKept bounds the raw text kept in the body of a record for a bad
// input, so that one huge garbage line cannot balloon a batch.
const MaxRawKept = 64 << 10

// SetRecord fills lr from a decoded event: timestamps, the request's trace
// context, severity and attributes. The body is set by the caller (structured or raw).
func SetRecord(ev *Event, lr plog.LogRecord, observed pcommon.Timestamp) {
	if !ev.StageTime.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.StageTime))
	}
	lr.SetObservedTimestamp(observed)
	if ev.AuditID != "" {
		traceID, spanID := RequestIDs(ev.AuditID)
		lr.SetTraceID(traceID)
		lr.SetSpanID(spanID)
	}
	setSeverity(ev, lr)
	setAttributes(ev, lr.Attributes())
}

func setSeverity(ev *Event, lr plog.LogRecord) {
	switch {
	case ev.ResponseCode >= 500 || ev.Stage == StagePanic:
		lr.SetSeverityNumber(plog.SeverityNumberError)
		lr.SetSeverityText("ERROR")
	case ev.ResponseCode >= 400:
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	default:
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
}

// downstreamRoom is how many attributes a record has room for beyond the
// event's own: the file source's log.file.name and the processor's
// enrichment (latency, outcome, the user's kind and service account, ...).
const downstreamRoom = 8

func setAttributes(ev *Event, attrs pcommon.Map) {
	// One allocation that never grows on the way: with a fixed 24, 40 % of
	// the generated Metadata records outgrew it in the processor, and
	// pdata copied their attributes to a new array of 48.
	attrs.EnsureCapacity(attributeCount(ev) + downstreamRoom)
	putStr(attrs, AttrAuditID, ev.AuditID)
	putStr(attrs, AttrStage, ev.Stage)
	putStr(attrs, AttrLevel, ev.Level)
	putStr(attrs, AttrVerb, ev.Verb)
	putStr(attrs, AttrHTTPRequestMethod, HTTPMethod(ev.Verb))

	if ev.RequestURI != "" {
		path, query, _ := strings.Cut(ev.RequestURI, "?")
		putStr(attrs, AttrURLPath, path)
		putStr(attrs, AttrURLQuery, query)
	}

	putStr(attrs, AttrUserName, ev.User.Username)
	putStr(attrs, AttrUserID, ev.User.UID)
	putList(attrs, AttrUserGroup, ev, listUserGroups)
	putStr(attrs, AttrImpersonatedUserName, ev.ImpersonatedUser.Username)
	putList(attrs, AttrImpersonatedUserGroups, ev, listImpersonatedGroups)

	if ip, ok := ev.firstSourceIP(); ok {
		putStr(attrs, AttrClientAddress, ip)
	}
	if ev.sourceIPCount() > 1 {
		putList(attrs, AttrSourceIPs, ev, listSourceIPs)
	}
	putStr(attrs, AttrUserAgent, ev.UserAgent)

	if ev.ResponseCode != 0 {
		attrs.PutInt(AttrHTTPStatusCode, ev.ResponseCode)
	}
	putStr(attrs, AttrResponseReason, ev.ResponseReason)

	ref := &ev.ObjectRef
	putStr(attrs, AttrNamespace, ref.Namespace)
	putStr(attrs, AttrResource, ref.Resource)
	putStr(attrs, AttrSubresource, ref.Subresource)
	putStr(attrs, AttrObjectName, ref.Name)
	putStr(attrs, AttrObjectUID, ref.UID)
	putStr(attrs, AttrAPIGroup, ref.APIGroup)
	putStr(attrs, AttrAPIVersion, ref.APIVersion)

	putStr(attrs, AttrAuthzDecision, ev.AuthzDecision)
	putStr(attrs, AttrAuthzReason, ev.AuthzReason)
	putStr(attrs, AttrRequestReceivedTime, ev.RequestReceivedText)
}

// attributeCount is the number of attributes setAttributes puts for ev. It
// follows setAttributes' conditions one by one (TestAttributeCountMatchesSetRecord
// holds the two together); a miscount would only cost a regrowth.
func attributeCount(ev *Event) int {
	n := 0
	for _, s := range [...]string{ev.AuditID, ev.Stage, ev.Level, ev.Verb, HTTPMethod(ev.Verb),
		ev.User.Username, ev.User.UID, ev.ImpersonatedUser.Username,
		ev.UserAgent, ev.ResponseReason, ev.ObjectRef.Namespace, ev.ObjectRef.Resource,
		ev.ObjectRef.Subresource, ev.ObjectRef.Name, ev.ObjectRef.UID, ev.ObjectRef.APIGroup,
		ev.ObjectRef.APIVersion, ev.AuthzDecision, ev.AuthzReason, ev.RequestReceivedText} {
		if s != "" {
			n++
		}
	}
	if ev.RequestURI != "" {
		path, query, _ := strings.Cut(ev.RequestURI, "?")
		n += nonEmpty(path) + nonEmpty(query)
	}
	n += nonZero(ev.listLen(listUserGroups)) + nonZero(ev.listLen(listImpersonatedGroups))
	if _, ok := ev.firstSourceIP(); ok {
		n++
	}
	if ev.sourceIPCount() > 1 {
		n++
	}
	return n + nonZero(int(ev.ResponseCode))
}

func nonEmpty(s string) int { return nonZero(len(s)) }

func nonZero(n int) int {
	if n != 0 {
		return 1
	}
	return 0
}

// EventOfRecord reads back the fields SetRecord wrote into a record's
// attributes and timestamp, for an event whose body is its raw text: it
// spares a reader of such records scanning the text again. Body,
// Annotations and SourceIPs are left empty, RequestURI unset, and
// RequestReceived zero when k8s.audit.request_received_time is absent. ok
// is false unless the record carries the attributes every event yields
// (k8s.audit.id, .stage and .level), as one that did not come from
// SetRecord may not; the event's slices then belong to the attributes.
func EventOfRecord(lr plog.LogRecord) (ev Event, ok bool) {
	ev = Event{Body: emptyMap, SourceIPs: emptySlice, Annotations: emptyMap,
		User: UserInfo{Groups: emptySlice}, ImpersonatedUser: UserInfo{Groups: emptySlice}}
	for k, v := range lr.Attributes().All() {
		if v.Type() == pcommon.ValueTypeSlice {
			switch k {
			case AttrUserGroup:
				ev.User.Groups = v.Slice()
			case AttrImpersonatedUserGroups:
				ev.ImpersonatedUser.Groups = v.Slice()
			}
			continue
		}
		if k == AttrHTTPStatusCode {
			if v.Type() == pcommon.ValueTypeInt {
				ev.ResponseCode = v.Int()
			}
			continue
		}
		if v.Type() != pcommon.ValueTypeStr {
			continue
		}
		if f := eventStrField(&ev, k); f != nil {
			*f = v.Str()
		}
	}
	if ts := lr.Timestamp(); ts != 0 {
		ev.StageTime = ts.AsTime()
	}
	ev.RequestReceived, _ = ParseTime(ev.RequestReceivedText)
	return ev, ev.AuditID != "" && ev.Stage != "" && ev.Level != ""
}

// eventStrField is the string field of ev that setAttributes writes to the
// attribute key, or nil.
func eventStrField(ev *Event, key string) *string {
	switch key {
	case AttrAuditID:
		return &ev.AuditID
	case AttrStage:
		return &ev.Stage
	case AttrLevel:
		return &ev.Level
	case AttrVerb:
		return &ev.Verb
	case AttrUserName:
		return &ev.User.Username
	case AttrUserID:
		return &ev.User.UID
	case AttrImpersonatedUserName:
		return &ev.ImpersonatedUser.Username
	case AttrUserAgent:
		return &ev.UserAgent
	case AttrResponseReason:
		return &ev.ResponseReason
	case AttrNamespace:
		return &ev.ObjectRef.Namespace
	case AttrResource:
		return &ev.ObjectRef.Resource
	case AttrSubresource:
		return &ev.ObjectRef.Subresource
	case AttrObjectName:
		return &ev.ObjectRef.Name
	case AttrObjectUID:
		return &ev.ObjectRef.UID
	case AttrAPIGroup:
		return &ev.ObjectRef.APIGroup
	case AttrAPIVersion:
		return &ev.ObjectRef.APIVersion
	case AttrAuthzDecision:
		return &ev.AuthzDecision
	case AttrAuthzReason:
		return &ev.AuthzReason
	case AttrRequestReceivedTime:
		return &ev.RequestReceivedText
	}
	return nil
}

// SetBadInputRecord fills lr for an input that is not a valid audit event:
// the body keeps the raw text (bounded, valid UTF-8), and attributes say what
// was wrong.
func SetBadInputRecord(lr plog.LogRecord, raw []byte, errorType string, err error, observed pcommon.Timestamp) {
	lr.SetObservedTimestamp(observed)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	lr.Body().SetStr(RawText(raw))
	attrs := lr.Attributes()
	attrs.PutStr(AttrErrorType, errorType)
	attrs.PutStr(AttrError, err.Error())
}

// RawText returns raw as valid UTF-8, cut to MaxRawKept bytes.
func RawText(raw []byte) string {
	if len(raw) > MaxRawKept {
		raw = raw[:MaxRawKept]
	}
	if utf8.Valid(raw) {
		return string(raw)
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD")
}

// HTTPMethod is the HTTP method of a request with this audit verb. Resource
// verbs map as kube-apiserver's request-info resolver maps them back;
// non-resource requests already carry the lower-case method.
func HTTPMethod(verb string) string {
	switch verb {
	case "get", "list", "watch":
		return "GET"
	case "create":
		return "POST"
	case "update":
		return "PUT"
	case "patch":
		return "PATCH"
	case "delete", "deletecollection":
		return "DELETE"
	case "head":
		return "HEAD"
	case "options":
		return "OPTIONS"
	case "post":
		return "POST"
	case "put":
		return "PUT"
	case "":
		return ""
	default:
		return "_OTHER"
	}
}

// Now is the observed timestamp for records made at this instant.
func Now() pcommon.Timestamp { return pcommon.NewTimestampFromTime(time.Now()) }

func putStr(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

// putSlice copies s into attrs, or moves it when the event owns it.
func putSlice(attrs pcommon.Map, key string, s pcommon.Slice, owned bool) {
	switch {
	case s.Len() == 0:
	case owned:
		s.MoveAndAppendTo(attrs.PutEmptySlice(key))
	default:
		s.CopyTo(attrs.PutEmptySlice(key))
	}
}
