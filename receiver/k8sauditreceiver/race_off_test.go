// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:build !race

package k8sauditreceiver

const concurrentClients = 3000
