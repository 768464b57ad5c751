package comment

// GraphQLURL exposes the derivation of the GraphQL root from the REST root.
func GraphQLURL(api string) string { return Options{APIURL: api}.graphQLURL() }
