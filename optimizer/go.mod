module github.com/dfsopt/dfsopt/optimizer

go 1.25.0
