// Package web tests the messenger page in headless Chromium against two
// real in-process nodes with their APIs: sign-in through the one-time
// link, friend requests, live messages with their marks, groups, text from
// peers shown as text, and a page of another origin that can neither read
// nor send. It writes screenshots of the main screens to screenshots/.
package web
