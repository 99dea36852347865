// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package k8saudittracesconnector turns the log records that the k8s_audit
// receiver makes from Kubernetes API-server audit events into traces: one
// SERVER span per API request, with the trace and span IDs stamped on the
// request's log records, so that logs and spans correlate.
package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"
