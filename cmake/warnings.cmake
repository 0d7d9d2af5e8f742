# Warning and sanitizer settings shared by every vigil target (link vigil_warnings).
add_library(vigil_warnings INTERFACE)
target_compile_options(vigil_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(VIGIL_WERROR)
  target_compile_options(vigil_warnings INTERFACE -Werror)
endif()

if(VIGIL_SANITIZERS)
  list(JOIN VIGIL_SANITIZERS "," vigil_sanitizer_list)
  add_compile_options(-fsanitize=${vigil_sanitizer_list} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${vigil_sanitizer_list})
endif()
