module github.com/dfsopt/dfsopt/pkg

go 1.25.0
