{
  "targets": [
    {
      "target_name": "bias_audit_native",
      "sources": [
        "src/addon.cc",
        "src/batchnorm.cc",
        "src/conv.cc",
        "src/dnnl_context.cc",
        "src/elementwise.cc",
        "src/matmul.cc",
        "src/pool.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
