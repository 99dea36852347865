// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package k8sauditprocessor enriches, redacts, filters (with a Kubernetes
// audit Policy) and de-duplicates the log records that the k8s_audit receiver
// makes from Kubernetes API-server audit events. Any other record passes
// through untouched.
package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"
