package ui

// For the tests of package ui_test, which run git exp ui through the command line.
var (
	Chromium = chromium
	ShotDir  = shotDir
)
