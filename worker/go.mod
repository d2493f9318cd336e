module github.com/dfsopt/dfsopt/worker

go 1.25.0
