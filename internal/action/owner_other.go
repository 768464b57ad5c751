//go:build !unix

package action

// giveToWorkspaceOwner does nothing where files have no Unix owner.
func (j *job) giveToWorkspaceOwner() {}
