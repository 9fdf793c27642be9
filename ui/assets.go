package ui

import "embed"

// assets are the pages: index.html, plain ES modules, the stylesheet and the vendored uPlot (assets/vendor, see
// scripts/vendor-uplot.sh).
//
//go:embed assets
var assets embed.FS
