module github.com/dfsopt/dfsopt/api

go 1.25.0
