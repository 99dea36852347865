// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

// Attribute names. Semantic-convention names where one exists, k8s.audit.*
// otherwise. The processor and the connector use the same names.
const (
	AttrAuditID   = "k8s.audit.id"
	AttrStage     = "k8s.audit.stage"
	AttrLevel     = "k8s.audit.level"
	AttrVerb      = "k8s.audit.verb"
	AttrUserGroup = "k8s.audit.user.groups"

	AttrImpersonatedUserName   = "k8s.audit.impersonated_user.name"
	AttrImpersonatedUserGroups = "k8s.audit.impersonated_user.groups"

	AttrSourceIPs = "k8s.audit.source_ips"

	AttrResource    = "k8s.audit.resource"
	AttrSubresource = "k8s.audit.subresource"
	AttrObjectName  = "k8s.audit.object.name"
	AttrObjectUID   = "k8s.audit.object.uid"
	AttrAPIGroup    = "k8s.audit.api_group"
	AttrAPIVersion  = "k8s.audit.api_version"

	AttrResponseReason = "k8s.audit.response.reason"

	AttrAuthzDecision = "k8s.audit.authorization.decision"
	AttrAuthzReason   = "k8s.audit.authorization.reason"

	// AttrRequestReceivedTime is requestReceivedTimestamp, RFC 3339 text as
	// the event has it: the request's start, where the record's timestamp
	// is its stage's. It spares the processor's latency and the connector's
	// span reading the body for it.
	AttrRequestReceivedTime = "k8s.audit.request_received_time"

	// Added by the k8s_audit processor. The OpenTelemetry semantic
	// conventions have no attribute for these, so they are k8s.audit.*.
	AttrLatencyMS            = "k8s.audit.latency_ms"
	AttrUserKind             = "k8s.audit.user.kind"
	AttrUserSANamespace      = "k8s.audit.user.serviceaccount.namespace"
	AttrUserSAName           = "k8s.audit.user.serviceaccount.name"
	AttrUserNodeName         = "k8s.audit.user.node.name"
	AttrImpersonated         = "k8s.audit.impersonated"
	AttrImpersonatedUserKind = "k8s.audit.impersonated_user.kind"
	AttrLongRunning          = "k8s.audit.long_running"
	AttrOutcome              = "k8s.audit.outcome"
	AttrRedactedCount        = "k8s.audit.redacted.count"

	// AttrError says what was wrong with an input that is not a valid audit
	// event; the record's body keeps the raw text.
	AttrError = "k8s.audit.error"

	// Semantic conventions.
	AttrUserName           = "user.name"
	AttrUserID             = "user.id"
	AttrUserAgent          = "user_agent.original"
	AttrClientAddress      = "client.address"
	AttrHTTPStatusCode     = "http.response.status_code"
	AttrHTTPRequestMethod  = "http.request.method"
	AttrURLPath            = "url.path"
	AttrURLQuery           = "url.query"
	AttrNamespace          = "k8s.namespace.name"
	AttrErrorType          = "error.type"
	AttrClusterName        = "k8s.cluster.name"
	AttrLogFileName        = "log.file.name"
	annotationAuthzDecison = "authorization.k8s.io/decision"
	annotationAuthzReason  = "authorization.k8s.io/reason"
)

// Values of error.type on records that carry a bad input.
const (
	ErrorTypeMalformed = "malformed_event"
	ErrorTypeOversized = "oversized_event"
)
