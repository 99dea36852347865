// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

// Attributes this processor adds, named in the shared model (the connector
// keeps them by reference too).
const (
	attrLatencyMS = auditevent.AttrLatencyMS

	attrUserKind        = auditevent.AttrUserKind
	attrUserSANamespace = auditevent.AttrUserSANamespace
	attrUserSAName      = auditevent.AttrUserSAName
	attrUserNodeName    = auditevent.AttrUserNodeName

	attrImpersonated         = auditevent.AttrImpersonated
	attrImpersonatedUserKind = auditevent.AttrImpersonatedUserKind

	attrLongRunning = auditevent.AttrLongRunning
	attrOutcome     = auditevent.AttrOutcome

	attrRedactedCount = auditevent.AttrRedactedCount
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
