// Package comment keeps one sticky pull-request comment per workflow job up to
// date through GitHub's REST API (go-github), for the action's PR preview.
// It is the action's one client of that API (the only importer of
// go-github), so it also reads files at a commit through the contents API
// ([Contents]): the preview's base when the checkout lacks the base commit.
//
// It owns: the hidden marker that identifies the comment, finding it over every
// page of the pull request's comments, deciding between create, edit and
// nothing, fitting the body under GitHub's 65,536-character limit, and turning
// the fork-PR 403 into a result instead of an error. It does not build the
// body (the caller renders the Markdown), print anything, or read the
// environment: GITHUB_API_URL, GITHUB_WORKFLOW, GITHUB_JOB and the token come
// in through [Options].
//
// # Marker
//
// The first line of the comment is
//
//	<!-- esxi-byoi:<workflow>/<job>[/<header>] sha256=<hex> -->
//
// keyed by workflow name and job id so several jobs can each keep their own
// comment, and carrying the SHA-256 of the text below it so an unchanged
// result costs no write at all. Characters of the workflow and job outside
// [A-Za-z0-9 ._-] are %XX-escaped (and "--" becomes "-%2D") so that no name
// can end the HTML comment early or fake another job's key.
//
// # Whose comment
//
// A comment is ours when its body starts with our marker AND its author is
// the token's own identity. Anyone can paste the marker into a comment;
// without the author check the action would try to edit a human's comment
// (and fail, or worse, succeed for an admin token). The identity comes from
// GraphQL's `viewer { login __typename }` at GITHUB_GRAPHQL_URL
// ([Options.GraphQLURL]), which answers for every kind of token: a
// workflow's GITHUB_TOKEN, a GitHub App's installation token, a personal
// token, on github.com and GitHub Enterprise Server alike (REST's GET /user
// refuses installation tokens). GraphQL names a bot by its slug ("my-app",
// __typename "Bot") where REST shows "my-app[bot]" with type "Bot"; a user
// whose login equals a bot's slug is not that bot. The query is made only
// when a comment with our marker turns up. [Options.Author] skips it.
// When several of our comments carry the marker (say, an earlier run raced
// another), the oldest is edited and the others are left alone.
//
// # Header
//
// [Options.Header] (the action's comment-header input) is appended to the
// key, escaped the same way, so that the jobs of a matrix, which share the
// workflow name and job id, each keep their own comment.
//
// See https://docs.github.com/rest/issues/comments.
package comment
