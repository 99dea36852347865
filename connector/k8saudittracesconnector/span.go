// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// Attributes the connector adds to spans emitted before their request ended.
const (
	attrIncomplete       = "k8s.audit.span.incomplete"
	attrIncompleteReason = "k8s.audit.span.incomplete_reason"
)

// Why a span was emitted incomplete; the values of attrIncompleteReason and
// of the reason attribute of the incomplete_spans metric.
const (
	reasonExpired  = "expired"
	reasonEvicted  = "evicted"
	reasonShutdown = "shutdown"
)

// setSpan fills span from a request. reason is empty for a request that
// ended, and says why otherwise.
func setSpan(span ptrace.Span, r *request, reason string) {
	attrs := span.Attributes()
	r.spanAttributes(attrs)

	span.SetTraceID(r.key.traceID)
	span.SetSpanID(r.key.spanID)
	span.SetKind(ptrace.SpanKindServer)
	span.SetName(spanName(attrs))
	start, end := r.bounds()
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(end))

	events := span.Events()
	for s := range numStages {
		if r.has(s) {
			ev := events.AppendEmpty()
			ev.SetName(stageNames[s])
			ev.SetTimestamp(pcommon.NewTimestampFromTime(r.times[s]))
		}
	}

	// The server-span rule of the HTTP conventions: only 5xx is an error
	// of the server; 4xx is the client's and leaves the status unset.
	if r.has(stagePanic) {
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(auditevent.StagePanic)
	} else if code := intAttr(attrs, auditevent.AttrHTTPStatusCode); code >= 500 && code < 600 {
		span.Status().SetCode(ptrace.StatusCodeError)
	}

	if reason != "" {
		attrs.PutBool(attrIncomplete, true)
		attrs.PutStr(attrIncompleteReason, reason)
	}
}

// spanName is a low-cardinality name: "<verb> <group>/<version>
// <resource>[/<subresource>]" for resource requests (no namespace or
// object name), "<verb> <path>" for non-resource requests. Anyone can send
// any path, so an unauthenticated (401) or unknown (404) non-resource
// request is named by its verb alone.
func spanName(attrs pcommon.Map) string {
	verb := strAttr(attrs, auditevent.AttrVerb)
	if verb == "" {
		verb = "unknown"
	}
	if resource := strAttr(attrs, auditevent.AttrResource); resource != "" {
		if sub := strAttr(attrs, auditevent.AttrSubresource); sub != "" {
			resource += "/" + sub
		}
		gv := strAttr(attrs, auditevent.AttrAPIVersion)
		if group := strAttr(attrs, auditevent.AttrAPIGroup); group != "" {
			if gv == "" {
				gv = group
			} else {
				gv = group + "/" + gv
			}
		}
		if gv == "" {
			return verb + " " + resource
		}
		return verb + " " + gv + " " + resource
	}
	path := strAttr(attrs, auditevent.AttrURLPath)
	switch code := intAttr(attrs, auditevent.AttrHTTPStatusCode); {
	case path == "", code == 401, code == 404:
		return verb
	}
	return verb + " " + path
}
