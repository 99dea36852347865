// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

// interned holds the strings that nearly every audit event repeats: its
// field names, and the values of its enumerations. Decoding takes them from
// here instead of allocating each time.
var interned = func() map[string]string {
	words := []string{
		// Event fields.
		"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "username", "uid",
		"groups", "extra", "impersonatedUser", "sourceIPs", "userAgent", "objectRef", "resource", "namespace",
		"name", "apiGroup", "subresource", "resourceVersion", "responseStatus", "metadata", "code", "status",
		"reason", "message", "details", "requestObject", "responseObject", "requestReceivedTimestamp",
		"stageTimestamp", "annotations", "timestamp", "authenticationMetadata", "impersonationConstraint",
		"authorization.k8s.io/decision", "authorization.k8s.io/reason",
		"pod-security.kubernetes.io/enforce-policy", "authentication.k8s.io/legacy-token",
		// Object fields that request and response objects repeat.
		"spec", "labels", "creationTimestamp", "generation", "managedFields", "manager", "operation", "time",
		"fieldsType", "fieldsV1", "ownerReferences", "selfLink", "items", "type", "data", "value", "key",
		"containers", "image", "env", "ports", "resources", "limits", "requests", "selector", "template",
		"replicas", "conditions", "lastTransitionTime", "lastUpdateTime", "observedGeneration",
		"subresource", "controller", "blockOwnerDeletion", "deletionTimestamp", "finalizers",
		"holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions",
		// Values.
		"Event", "EventList", "audit.k8s.io/v1", "audit.k8s.io/v1beta1",
		"None", "Metadata", "Request", "RequestResponse",
		"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic",
		"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"allow", "forbid", "", "v1", "apps", "coordination.k8s.io", "rbac.authorization.k8s.io",
		"authentication.k8s.io", "authorization.k8s.io", "discovery.k8s.io", "events.k8s.io",
		"pods", "deployments", "replicasets", "configmaps", "secrets", "leases", "events", "nodes",
		"namespaces", "services", "endpoints", "endpointslices", "serviceaccounts", "status", "binding",
		"exec", "log", "token", "tokenreviews", "subjectaccessreviews",
		"system:authenticated", "system:masters", "system:serviceaccounts", "system:nodes",
		"system:unauthenticated", "system:anonymous", "system:apiserver", "system:kube-scheduler",
		"system:kube-controller-manager", "kube-system", "default", "127.0.0.1", "::1",
		"Success", "Failure", "Status", "Forbidden", "NotFound", "AlreadyExists", "Conflict", "Unauthorized",
		"Update", "Apply", "FieldsV1", "Opaque", "True", "False",
	}
	m := make(map[string]string, len(words))
	for _, w := range words {
		m[w] = w
	}
	return m
}()
