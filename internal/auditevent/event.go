// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Package auditevent is the one audit-event model shared by the receiver, the
// processor and the connector: it decodes kube-apiserver audit events
// (audit.k8s.io/v1 and v1beta1) into pdata and reads their fields back.
package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The audit API versions this model understands. v1beta1 events (Kubernetes
// < 1.16 and many published samples) carry the same fields plus the
// second-precision "timestamp" and "metadata.creationTimestamp".
const (
	APIVersionV1      = "audit.k8s.io/v1"
	APIVersionV1beta1 = "audit.k8s.io/v1beta1"
)

// Stages, as kube-apiserver names them.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Event is a typed view of one audit event whose JSON lives in Body. Strings
// share memory with Body; nothing here is copied that is not needed by the
// mapping to attributes.
type Event struct {
	Body pcommon.Map

	APIVersion string
	Level      string
	AuditID    string
	Stage      string
	RequestURI string
	Verb       string
	UserAgent  string

	User             UserInfo
	ImpersonatedUser UserInfo
	// SourceIPs is the sourceIPs list, or an empty slice.
	SourceIPs pcommon.Slice

	ObjectRef ObjectRef

	// ResponseCode is responseStatus.code, 0 when absent.
	ResponseCode   int64
	ResponseReason string

	// RequestReceived and StageTime come from requestReceivedTimestamp and
	// stageTimestamp, falling back to v1beta1's timestamp and
	// metadata.creationTimestamp.
	RequestReceived time.Time
	StageTime       time.Time
	// RequestReceivedText is the text RequestReceived was read from, as the
	// event has it (k8s.audit.request_received_time).
	RequestReceivedText string

	// Annotations is the annotations map, or an empty map (always empty for
	// an event scanned from raw text, which reads only the two below).
	Annotations pcommon.Map
	// AuthzDecision and AuthzReason are the authorizer's annotations.
	AuthzDecision, AuthzReason string

	// owned says the slices above belong to no body, so that mapping them to
	// attributes may move them instead of copying.
	owned bool

	// strs and lists are the string lists a scan read (lists.go); the
	// list fields above are then empty.
	strs  []string
	lists [numLists]strList
}

// UserInfo is the user or impersonatedUser block.
type UserInfo struct {
	Username string
	UID      string
	// Groups is the groups list, or an empty slice.
	Groups pcommon.Slice
}

// ObjectRef is the objectRef block.
type ObjectRef struct {
	Resource    string
	Namespace   string
	Name        string
	UID         string
	APIGroup    string
	APIVersion  string
	Subresource string
}

// ErrNotObject is returned when a JSON document is not an object.
var ErrNotObject = errors.New("audit event must be a JSON object")

// FromMap reads an event's fields from its decoded body and checks that it is
// an audit event: kind Event (or absent, as in EventList items), a known
// apiVersion (or absent, then defaultAPIVersion applies), an auditID, a known
// stage and a parseable stage time.
func FromMap(body pcommon.Map, defaultAPIVersion string) (Event, error) {
	ev := readMap(body, defaultAPIVersion)
	return ev, ev.validate(body)
}

// FromPartialMap reads what it can from the fields of a truncated event,
// without validation.
func FromPartialMap(body pcommon.Map, defaultAPIVersion string) Event {
	return readMap(body, defaultAPIVersion)
}

// readMap reads the fields in one pass over the body: a pdata map looks a
// key up by a linear search, so a Get per field costs a pass per field.
func readMap(body pcommon.Map, defaultAPIVersion string) Event {
	ev := Event{Body: body, APIVersion: defaultAPIVersion,
		User: UserInfo{Groups: emptySlice}, ImpersonatedUser: UserInfo{Groups: emptySlice},
		SourceIPs: emptySlice, Annotations: emptyMap}
	var times timeFields
	for k, v := range body.All() {
		switch k {
		case "apiVersion":
			if s := strOf(v); s != "" {
				ev.APIVersion = s
			}
		case "level":
			ev.Level = strOf(v)
		case "auditID":
			ev.AuditID = strOf(v)
		case "stage":
			ev.Stage = strOf(v)
		case "requestURI":
			ev.RequestURI = strOf(v)
		case "verb":
			ev.Verb = strOf(v)
		case "userAgent":
			ev.UserAgent = strOf(v)
		case "user":
			ev.User = readUser(mapOfValue(v))
		case "impersonatedUser":
			ev.ImpersonatedUser = readUser(mapOfValue(v))
		case "sourceIPs":
			if v.Type() == pcommon.ValueTypeSlice {
				ev.SourceIPs = v.Slice()
			}
		case "annotations":
			ev.Annotations = mapOfValue(v)
			ev.AuthzDecision = str(ev.Annotations, annotationAuthzDecison)
			ev.AuthzReason = str(ev.Annotations, annotationAuthzReason)
		case "objectRef":
			ev.ObjectRef = readObjectRef(mapOfValue(v))
		case "responseStatus":
			readStatus(mapOfValue(v), &ev)
		case "stageTimestamp", "requestReceivedTimestamp", "timestamp", "metadata":
			times.read(k, v)
		}
	}
	t := times.times()
	ev.StageTime, ev.RequestReceived, ev.RequestReceivedText = t.StageTime, t.RequestReceived, t.requestReceivedText
	return ev
}

func readObjectRef(m pcommon.Map) ObjectRef {
	var ref ObjectRef
	for k, v := range m.All() {
		switch k {
		case "resource":
			ref.Resource = strOf(v)
		case "namespace":
			ref.Namespace = strOf(v)
		case "name":
			ref.Name = strOf(v)
		case "uid":
			ref.UID = strOf(v)
		case "apiGroup":
			ref.APIGroup = strOf(v)
		case "apiVersion":
			ref.APIVersion = strOf(v)
		case "subresource":
			ref.Subresource = strOf(v)
		}
	}
	return ref
}

func readStatus(m pcommon.Map, ev *Event) {
	for k, v := range m.All() {
		switch k {
		case "code":
			switch v.Type() {
			case pcommon.ValueTypeInt:
				ev.ResponseCode = v.Int()
			case pcommon.ValueTypeDouble:
				ev.ResponseCode = int64(v.Double())
			}
		case "reason":
			ev.ResponseReason = strOf(v)
		}
	}
}

func (ev *Event) validate(body pcommon.Map) error {
	return ev.validateFields(checkedField(body, "kind"), checkedField(body, "apiVersion"), str(body, "stageTimestamp"))
}

// checked is a field that validation looks at beyond the Event: whether it
// is present, and whether it is a string.
type checked struct {
	present, notStr bool
	str             string
	other           pcommon.Value // when notStr
}

func checkedField(m pcommon.Map, key string) checked {
	v, ok := m.Get(key)
	switch {
	case !ok:
		return checked{}
	case v.Type() == pcommon.ValueTypeStr:
		return checked{present: true, str: v.Str()}
	default:
		return checked{present: true, notStr: true, other: v}
	}
}

func (c checked) describe() string {
	if c.notStr {
		return describe(c.other)
	}
	return fmt.Sprintf("%q", c.str)
}

func (ev *Event) validateFields(kind, apiVersion checked, stageTimestamp string) error {
	if kind.present && (kind.notStr || kind.str != "Event") {
		return fmt.Errorf("kind is %s, want \"Event\"", kind.describe())
	}
	if apiVersion.present && apiVersion.notStr {
		return fmt.Errorf("apiVersion is %s, want %s or %s", apiVersion.describe(), APIVersionV1, APIVersionV1beta1)
	}
	if ev.APIVersion != "" && ev.APIVersion != APIVersionV1 && ev.APIVersion != APIVersionV1beta1 {
		return fmt.Errorf("apiVersion %q is not supported, want %s or %s", ev.APIVersion, APIVersionV1, APIVersionV1beta1)
	}
	if ev.AuditID == "" {
		return errors.New("auditID is missing")
	}
	switch ev.Stage {
	case StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
	case "":
		return errors.New("stage is missing")
	default:
		return fmt.Errorf("stage %q is not one of RequestReceived, ResponseStarted, ResponseComplete, Panic", ev.Stage)
	}
	if ev.StageTime.IsZero() {
		if stageTimestamp != "" {
			return fmt.Errorf("stageTimestamp %q is not an RFC 3339 time", stageTimestamp)
		}
		return errors.New("stageTimestamp is missing")
	}
	return nil
}

func readUser(m pcommon.Map) UserInfo {
	return UserInfo{Username: str(m, "username"), UID: str(m, "uid"), Groups: sliceOf(m, "groups")}
}

// emptyMap and emptySlice stand in for absent blocks so that callers never
// hold a zero pdata value; they are never written to.
var (
	emptyMap   = pcommon.NewMap()
	emptySlice = pcommon.NewSlice()
)

func mapOfValue(v pcommon.Value) pcommon.Map {
	if v.Type() == pcommon.ValueTypeMap {
		return v.Map()
	}
	return emptyMap
}

func strOf(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func sliceOf(m pcommon.Map, key string) pcommon.Slice {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeSlice {
		return v.Slice()
	}
	return emptySlice
}

func str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func firstTime(candidates ...string) (time.Time, string) {
	for _, s := range candidates {
		if t, ok := ParseTime(s); ok {
			return t, s
		}
	}
	return time.Time{}, ""
}

// ParseTime reads an audit event's timestamp: RFC 3339, as v1's
// microseconds and v1beta1's whole seconds both are.
func ParseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func describe(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return fmt.Sprintf("%q", v.Str())
	}
	return "not a string but " + strings.ToLower(v.Type().String())
}
