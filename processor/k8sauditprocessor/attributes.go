// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

// Attributes this processor adds. The OpenTelemetry semantic conventions have
// no attribute for these, so they are k8s.audit.*; the k8s.<kind>.name/uid
// attributes of the object are semantic-convention names.
const (
	attrLatencyMS = "k8s.audit.latency_ms"

	attrUserKind        = "k8s.audit.user.kind"
	attrUserSANamespace = "k8s.audit.user.serviceaccount.namespace"
	attrUserSAName      = "k8s.audit.user.serviceaccount.name"
	attrUserNodeName    = "k8s.audit.user.node.name"

	attrImpersonated         = "k8s.audit.impersonated"
	attrImpersonatedUserKind = "k8s.audit.impersonated_user.kind"

	attrLongRunning = "k8s.audit.long_running"
	attrOutcome     = "k8s.audit.outcome"

	attrRedactedCount = "k8s.audit.redacted.count"
)

// Values of k8s.audit.user.kind.
const (
	userKindPerson         = "person"
	userKindServiceAccount = "service_account"
	userKindNode           = "node"
	userKindControlPlane   = "control_plane"
	userKindAnonymous      = "anonymous"
	userKindSystem         = "system"
)

// Values of k8s.audit.outcome, as Elastic's event.outcome.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
)
