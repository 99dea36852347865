// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

const (
	saPrefix   = "system:serviceaccount:"
	nodePrefix = "system:node:"
	sysPrefix  = "system:"
)

// controlPlaneUsers are the identities kube-apiserver and the control-plane
// components authenticate as when they do not use per-controller service
// accounts.
var controlPlaneUsers = map[string]bool{
	"system:apiserver":                true,
	"system:kube-controller-manager":  true,
	"system:kube-scheduler":           true,
	"system:kube-aggregator":          true,
	"system:cloud-controller-manager": true,
}

// semconvObjects maps "group/resource" to the semantic-convention prefix of
// the object's name and UID attributes.
var semconvObjects = map[string]string{
	"/pods":                   "k8s.pod",
	"/nodes":                  "k8s.node",
	"/replicationcontrollers": "k8s.replicationcontroller",
	"apps/deployments":        "k8s.deployment",
	"apps/replicasets":        "k8s.replicaset",
	"apps/statefulsets":       "k8s.statefulset",
	"apps/daemonsets":         "k8s.daemonset",
	"batch/jobs":              "k8s.job",
	"batch/cronjobs":          "k8s.cronjob",
}

// longRunningSubresources are the connect-style subresources kube-apiserver
// treats as long-running, besides watch.
var longRunningSubresources = map[string]bool{
	"exec": true, "attach": true, "portforward": true, "proxy": true,
}

// userKind classifies a caller.
type userKind struct {
	kind         string
	saNamespace  string
	saName       string
	nodeName     string
	isSystemName bool
}

func classifyUser(name string, groups pcommon.Slice) userKind {
	if name == "" {
		return userKind{}
	}
	if name == "system:anonymous" || sliceHas(groups, "system:unauthenticated") {
		return userKind{kind: userKindAnonymous, isSystemName: true}
	}
	if rest, ok := strings.CutPrefix(name, saPrefix); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok && ns != "" && sa != "" && !strings.Contains(sa, ":") {
			return userKind{kind: userKindServiceAccount, saNamespace: ns, saName: sa, isSystemName: true}
		}
		return userKind{kind: userKindSystem, isSystemName: true}
	}
	if node, ok := strings.CutPrefix(name, nodePrefix); ok && node != "" {
		return userKind{kind: userKindNode, nodeName: node, isSystemName: true}
	}
	if controlPlaneUsers[name] {
		return userKind{kind: userKindControlPlane, isSystemName: true}
	}
	if strings.HasPrefix(name, sysPrefix) {
		return userKind{kind: userKindSystem, isSystemName: true}
	}
	return userKind{kind: userKindPerson}
}

func sliceHas(s pcommon.Slice, want string) bool {
	for i := 0; i < s.Len(); i++ {
		if v := s.At(i); v.Type() == pcommon.ValueTypeStr && v.Str() == want {
			return true
		}
	}
	return false
}

// enrich adds the configured attributes to a record of ev. It runs before
// the policy strips objects, so that an object's UID can still be read.
func enrich(cfg *EnrichConfig, ev *auditevent.Event, lr plog.LogRecord) {
	attrs := lr.Attributes()
	if cfg.TraceContext {
		setTraceContext(ev.AuditID, lr)
	}
	if cfg.Latency && ev.Stage != auditevent.StageRequestReceived && !ev.RequestReceived.IsZero() && !ev.StageTime.IsZero() {
		d := ev.StageTime.Sub(ev.RequestReceived)
		attrs.PutDouble(attrLatencyMS, float64(d.Microseconds())/1000)
	}
	if cfg.UserKind {
		putUserKind(attrs, classifyUser(ev.User.Username, ev.User.Groups))
	}
	if cfg.Impersonation && ev.ImpersonatedUser.Username != "" {
		attrs.PutBool(attrImpersonated, true)
		if k := classifyUser(ev.ImpersonatedUser.Username, ev.ImpersonatedUser.Groups); k.kind != "" {
			attrs.PutStr(attrImpersonatedUserKind, k.kind)
		}
	}
	if cfg.Object {
		enrichObject(ev, attrs)
	}
	if cfg.LongRunning && (ev.Verb == "watch" || longRunningSubresources[ev.ObjectRef.Subresource]) {
		attrs.PutBool(attrLongRunning, true)
	}
	if cfg.Outcome {
		if o := outcome(ev); o != "" {
			attrs.PutStr(attrOutcome, o)
		}
	}
}

// setTraceContext fills in the IDs the receiver sets, for records that lost
// them on the way. IDs already there are kept: they come from the same
// function, or from a later grouping of causally related requests into one
// trace, which changes only the trace ID.
func setTraceContext(auditID string, lr plog.LogRecord) {
	if !lr.TraceID().IsEmpty() && !lr.SpanID().IsEmpty() {
		return
	}
	traceID, spanID := auditevent.RequestIDs(auditID)
	if lr.TraceID().IsEmpty() {
		lr.SetTraceID(traceID)
	}
	if lr.SpanID().IsEmpty() {
		lr.SetSpanID(spanID)
	}
}

func putUserKind(attrs pcommon.Map, k userKind) {
	if k.kind == "" {
		return
	}
	attrs.PutStr(attrUserKind, k.kind)
	if k.saName != "" {
		attrs.PutStr(attrUserSANamespace, k.saNamespace)
		attrs.PutStr(attrUserSAName, k.saName)
	}
	if k.nodeName != "" {
		attrs.PutStr(attrUserNodeName, k.nodeName)
	}
}

// outcome is failure for a Panic, a 4xx/5xx answer or a forbid decision,
// success for any other answer, and unknown (empty) before the answer.
func outcome(ev *auditevent.Event) string {
	switch {
	case ev.Stage == auditevent.StagePanic:
		return outcomeFailure
	case ev.Stage == auditevent.StageRequestReceived:
		return ""
	case ev.ResponseCode >= 400:
		return outcomeFailure
	}
	if ev.AuthzDecision == "forbid" {
		return outcomeFailure
	}
	if ev.ResponseCode == 0 {
		return ""
	}
	return outcomeSuccess
}

// enrichObject completes the object's name (a create names it only in the
// object, e.g. with generateName) and UID (objectRef rarely carries one) from
// the response or request object, and adds the semantic-convention
// k8s.<kind>.name and k8s.<kind>.uid for well-known kinds.
func enrichObject(ev *auditevent.Event, attrs pcommon.Map) {
	ref := &ev.ObjectRef
	if ref.Resource == "" {
		return
	}
	name, uid := ref.Name, ref.UID
	if name == "" && ref.Subresource == "" {
		if name = metaStr(ev.Body, "responseObject", "name"); name == "" {
			name = metaStr(ev.Body, "requestObject", "name")
		}
		if name != "" {
			attrs.PutStr(auditevent.AttrObjectName, name)
		}
	}
	if uid == "" {
		if uid = metaStr(ev.Body, "responseObject", "uid"); uid == "" {
			uid = metaStr(ev.Body, "requestObject", "uid")
		}
		if uid != "" {
			attrs.PutStr(auditevent.AttrObjectUID, uid)
		}
	}
	if prefix, ok := semconvObjects[ref.APIGroup+"/"+ref.Resource]; ok {
		if name != "" {
			attrs.PutStr(prefix+".name", name)
		}
		if uid != "" {
			attrs.PutStr(prefix+".uid", uid)
		}
	}
}

// metaStr is metadata.<field> of the body's object under key when that is a
// single object (not a Status or a list).
func metaStr(body pcommon.Map, key, field string) string {
	v, ok := body.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return ""
	}
	obj := v.Map()
	if k, ok := obj.Get("kind"); ok && k.Type() == pcommon.ValueTypeStr && (k.Str() == "Status" || strings.HasSuffix(k.Str(), "List")) {
		return ""
	}
	if _, ok := obj.Get("items"); ok {
		return ""
	}
	m, ok := obj.Get("metadata")
	if !ok || m.Type() != pcommon.ValueTypeMap {
		return ""
	}
	if f, ok := m.Map().Get(field); ok && f.Type() == pcommon.ValueTypeStr {
		return f.Str()
	}
	return ""
}
