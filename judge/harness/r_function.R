# The trusted harness for function-style R questions. It runs INSIDE the sandbox as
#     Rscript --vanilla -e <BOOTSTRAP in judge/r_function.py>
# (parse standard input, close it, evaluate it in a new environment whose parent is baseenv())
# and its standard input is this file's text followed by one generated line,
#     prep_main(list(nonce = "...", fd = 3L, source = "...", fn = "...", cpu = 1, wall = 3,
#                    load_cpu = 3, load_wall = 8, max_record = 1048576, max_nodes = 1000000,
#                    tests = list(list(0L, list(<arguments as R literals>)), ...)))
# written by judge/r_function.py: base R has no JSON reader, so the host writes the arguments
# as R literals (strings quoted there, injection-proof) and this harness writes JSON.
#
# The harness's functions live in an environment whose parent is baseenv(), not the global
# environment: what the candidate defines globally does not change them. The arguments are
# evaluated (forced) before any candidate code runs. Each result goes to descriptor `fd` as one
# line "<nonce> <JSON record>\n" carrying the returned VALUE, never a verdict: the expected
# values never enter the sandbox and the comparison happens outside.

prep_main <- function(cfg) {
  # R's JIT compiler would compile the harness's own functions (~100 ms): keep it for the
  # candidate's code only.
  jit_level <- .Internal(enableJIT(0L))
  force(cfg)
  # Everything needed after candidate code has run is bound here.
  nonce <- cfg$nonce
  harness_pid <- Sys.getpid()
  out <- file(sprintf("/dev/fd/%d", cfg$fd), open = "wb", raw = TRUE)
  quit_now <- function(status = 0L) quit(save = "no", status = status, runLast = FALSE)
  max_message <- 4096L
  max_record <- cfg$max_record
  max_nodes <- cfg$max_nodes

  emit <- function(json) {
    if (Sys.getpid() != harness_pid) quit_now(0L)  # a forked child came back here: leave
    line <- charToRaw(paste0(nonce, " ", json, "\n"))
    written <- tryCatch({
      writeBin(line, out)
      flush(out)
      TRUE
    }, error = function(e) FALSE)
    if (!written) {  # the candidate closed every connection: open the channel again
      out <<- file(sprintf("/dev/fd/%d", cfg$fd), open = "wb", raw = TRUE)
      writeBin(line, out)
      flush(out)
    }
  }

  # -- JSON --------------------------------------------------------------------------------
  unsupported <- function(message) {
    stop(structure(class = c("prep_unsupported", "error", "condition"),
                   list(message = message, call = NULL)))
  }

  json_string <- function(s) {
    if (!validUTF8(s)) s <- iconv(s, "latin1", "UTF-8")
    cp <- utf8ToInt(s)
    if (anyNA(cp)) cp <- utf8ToInt(iconv(s, "UTF-8", "ASCII", sub = "?"))
    n <- length(cp)
    if (n == 0L) return("\"\"")
    chars <- character(n)
    plain <- cp >= 32L & cp < 127L & cp != 34L & cp != 92L
    chars[plain] <- intToUtf8(cp[plain], multiple = TRUE)
    chars[cp == 34L] <- "\\\""
    chars[cp == 92L] <- "\\\\"
    other <- !plain & cp != 34L & cp != 92L
    bmp <- other & cp < 65536L
    chars[bmp] <- sprintf("\\u%04x", cp[bmp])
    astral <- other & cp >= 65536L
    if (any(astral)) {
      v <- cp[astral] - 65536L
      chars[astral] <- sprintf("\\u%04x\\u%04x", 55296L + v %/% 1024L, 56320L + v %% 1024L)
    }
    paste0("\"", paste(chars, collapse = ""), "\"")
  }

  strings_json <- function(x) {
    res <- character(length(x))
    na <- is.na(x)
    res[na] <- "null"
    simple <- !na & grepl("^[] !#-[^-~]*$", x, perl = TRUE)
    res[simple] <- paste0("\"", x[simple], "\"")
    rest <- which(!na & !simple)
    for (i in rest) res[i] <- json_string(x[i])
    res
  }

  doubles_json <- function(x) {
    res <- sprintf("%.17g", x)
    res[is.na(x)] <- "null"
    res[is.nan(x)] <- "{\"$float\":\"nan\"}"
    res[!is.na(x) & x == Inf] <- "{\"$float\":\"inf\"}"
    res[!is.na(x) & x == -Inf] <- "{\"$float\":\"-inf\"}"
    res
  }

  days_to_iso <- function(days) {
    # Howard Hinnant's civil_from_days, vectorised; days since 1970-01-01.
    z <- floor(days) + 719468
    era <- floor(z / 146097)
    doe <- z - era * 146097
    yoe <- floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
    doy <- doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
    mp <- floor((5 * doy + 2) / 153)
    d <- doy - floor((153 * mp + 2) / 5) + 1
    m <- ifelse(mp < 10, mp + 3, mp - 9)
    y <- yoe + era * 400 + (m <= 2)
    sprintf("%04d-%02d-%02d", as.integer(y), as.integer(m), as.integer(d))
  }

  # An atomic vector's elements as JSON texts (NA -> null), with its R type name.
  atomic_json <- function(x, cls) {
    if ("factor" %in% cls) {
      levels <- attr(x, "levels")
      codes <- as.integer(unclass(x))
      return(list(strings_json(levels[codes]), "factor"))
    }
    if ("Date" %in% cls) {
      v <- as.double(unclass(x))
      res <- rep("null", length(v))
      ok <- is.finite(v)
      res[ok] <- paste0("\"", days_to_iso(v[ok]), "\"")
      return(list(res, "Date"))
    }
    if ("POSIXct" %in% cls) {
      v <- as.double(unclass(x))
      res <- rep("null", length(v))
      ok <- is.finite(v)
      secs <- floor(v[ok])
      day <- floor(secs / 86400)
      rem <- secs - day * 86400
      res[ok] <- sprintf("\"%sT%02d:%02d:%02d\"", days_to_iso(day), as.integer(rem %/% 3600),
                         as.integer(rem %% 3600 %/% 60), as.integer(rem %% 60))
      return(list(res, "POSIXct"))
    }
    switch(typeof(x),
      logical = {
        res <- ifelse(x, "true", "false")
        res[is.na(x)] <- "null"
        list(res, "logical")
      },
      integer = {
        res <- sprintf("%d", x)
        res[is.na(x)] <- "null"
        list(res, "integer")
      },
      double = list(doubles_json(x), "numeric"),
      character = list(strings_json(x), "character"),
      unsupported(paste("unsupported return type", typeof(x)))
    )
  }

  known_classes <- c("data.frame", "factor", "Date", "POSIXct", "POSIXt", "table", "noquote", "AsIs")
  nodes <- 0

  count <- function(n) {
    nodes <<- nodes + n
    if (nodes > max_nodes) unsupported(sprintf("return value too large (more than %d items)", max_nodes))
  }

  object_json <- function(keys, values) {
    if (anyNA(keys) || any(keys == "")) unsupported("a list or vector with names missing for some items")
    if (anyDuplicated(keys)) unsupported("a list or vector with duplicate names")
    paste0("{\"$dict\":{", paste0(strings_json(keys), ":", values, collapse = ","), "}}")
  }

  frame_json <- function(x, depth) {
    cols <- attr(x, "names")
    if (is.null(cols)) cols <- character(0)
    n <- .row_names_info(x, 2L)
    count(n * max(1L, length(cols)))
    columns <- vector("list", length(cols))
    dtypes <- character(length(cols))
    for (j in seq_along(cols)) {
      col <- .subset2(x, j)
      ccls <- oldClass(col)
      if (!is.null(ccls) && !all(ccls %in% known_classes)) {
        unsupported(paste0("unsupported column type ", paste(ccls, collapse = "/")))
      }
      if (is.list(col)) unsupported("data frames with list columns are not supported")
      if (length(col) != n) unsupported("a malformed data frame")
      encoded <- atomic_json(col, ccls)
      columns[[j]] <- encoded[[1]]
      dtypes[j] <- encoded[[2]]
    }
    rows <- if (length(cols)) do.call(paste, c(columns, sep = ",")) else rep("", n)
    data <- paste0("[", paste0("[", rows, "]", collapse = ","), "]")
    if (n == 0L) data <- "[]"
    index <- "null"
    if (.row_names_info(x, 1L) > 0L) {  # row names set by the code, not automatic
      rn <- attr(x, "row.names")
      index <- paste0("[", paste(if (is.character(rn)) strings_json(rn) else sprintf("%d", rn), collapse = ","), "]")
    }
    paste0("{\"$dataframe\":{\"columns\":[", paste(strings_json(cols), collapse = ","),
           "],\"dtypes\":[", paste(strings_json(dtypes), collapse = ","),
           "],\"data\":", data, ",\"index\":", index, "}}")
  }

  to_json <- function(x, depth) {
    count(1)
    if (depth > 64L) unsupported("return value nested too deeply")
    if (is.null(x)) return("null")
    if (isS4(x)) unsupported("unsupported return type: an S4 object")
    cls <- oldClass(x)
    if (!is.null(cls) && !all(cls %in% known_classes)) {
      unsupported(paste0("unsupported return type ", paste(cls, collapse = "/")))
    }
    if ("data.frame" %in% cls) return(frame_json(x, depth))
    type <- typeof(x)
    if (type %in% c("logical", "integer", "double", "character")) {
      count(length(x))
      dims <- attr(x, "dim")
      keys <- attr(x, "names")
      if (!is.null(dims)) {
        if (length(dims) == 1L) {
          keys <- attr(x, "dimnames")[[1L]]
        } else if (length(dims) == 2L) {
          values <- atomic_json(as.vector(unclass(x)), NULL)[[1L]]
          if (dims[1L] == 0L) return("[]")
          rows <- vapply(seq_len(dims[1L]), function(i) {
            paste0("[", paste(values[i + dims[1L] * (seq_len(dims[2L]) - 1L)], collapse = ","), "]")
          }, "")
          return(paste0("[", paste(rows, collapse = ","), "]"))
        } else {
          unsupported("arrays of more than 2 dimensions are not supported")
        }
      }
      values <- atomic_json(x, cls)[[1L]]
      if (!is.null(keys)) return(object_json(keys, values))
      if (length(values) == 1L) return(values)
      return(paste0("[", paste(values, collapse = ","), "]"))
    }
    if (type == "list") {
      keys <- attr(x, "names")
      items <- vapply(seq_along(x), function(i) to_json(.subset2(x, i), depth + 1L), "")
      if (!is.null(keys)) return(object_json(keys, items))
      return(paste0("[", paste(items, collapse = ","), "]"))
    }
    unsupported(paste("unsupported return type", type))
  }

  # -- running candidate code ----------------------------------------------------------------
  message_of <- function(e) {
    msg <- tryCatch(.subset2(e, "message"), error = function(e2) NULL)
    if (!is.character(msg) || length(msg) < 1L || is.na(msg[1L])) return("error")
    substr(msg[1L], 1L, max_message)
  }

  classify <- function(msg) {
    if (grepl("reached (CPU|elapsed) time limit", msg)) return("TLE")
    if (grepl("cannot allocate", msg, fixed = TRUE)) return("MLE")
    "RTE"
  }

  cpu_now <- function() {
    t <- unclass(proc.time())
    t[[1L]] + t[[2L]]
  }

  limited <- function(thunk, cpu, wall) {
    .Internal(enableJIT(jit_level))
    setTimeLimit(cpu = cpu, elapsed = wall, transient = TRUE)
    res <- tryCatch(list("ok", thunk()),
                    error = function(e) list("err", message_of(e)))
    setTimeLimit(cpu = Inf, elapsed = Inf, transient = FALSE)
    .Internal(enableJIT(0L))
    res
  }

  emit("{\"k\":\"hello\"}")
  emit("{\"k\":\"args\"}")  # the arguments were built when cfg was forced, before candidate code

  exprs <- tryCatch(parse(text = cfg$source, keep.source = FALSE), error = function(e) e)
  if (inherits(exprs, "error")) {
    emit(paste0("{\"k\":\"ce\",\"msg\":", json_string(message_of(exprs)), "}"))
    quit_now(0L)
  }
  cfg$source <- NULL

  start <- cpu_now()
  loaded <- limited(function() {
    for (e in exprs) eval(e, envir = globalenv())
    NULL
  }, cfg$load_cpu, cfg$load_wall)
  if (loaded[[1L]] != "ok" || cpu_now() - start > cfg$load_cpu) {
    msg <- if (loaded[[1L]] == "ok") "reached CPU time limit" else loaded[[2L]]
    verdict <- classify(msg)
    if (verdict == "TLE") msg <- "time limit exceeded while loading"
    emit(paste0("{\"k\":\"import\",\"r\":\"", verdict, "\",\"msg\":", json_string(msg), "}"))
    quit_now(0L)
  }
  fn <- get0(cfg$fn, envir = globalenv(), inherits = FALSE)
  if (!is.function(fn)) {
    what <- if (is.null(fn)) "not defined" else "not a function"
    emit(paste0("{\"k\":\"ce\",\"msg\":", json_string(sprintf("function `%s` is %s", cfg$fn, what)), "}"))
    quit_now(0L)
  }
  emit("{\"k\":\"loaded\"}")

  for (test in cfg$tests) {
    index <- test[[1L]]
    args <- test[[2L]]
    start <- cpu_now()
    res <- limited(function() do.call(fn, args, quote = TRUE), cfg$cpu, cfg$wall)
    ms <- as.integer(max(0, (cpu_now() - start) * 1000))
    head <- sprintf("{\"k\":\"test\",\"i\":%d,", index)
    if (res[[1L]] == "ok" && (cpu_now() - start) <= cfg$cpu) {
      nodes <- 0
      value <- res[[2L]]
      res <- NULL
      encoded <- tryCatch(to_json(value, 0L), prep_unsupported = function(e) e,
                          error = function(e) structure(class = c("prep_unsupported", "error", "condition"),
                                                         list(message = paste("unsupported return value:", message_of(e)))))
      value <- NULL
      if (inherits(encoded, "prep_unsupported")) {
        record <- paste0(head, "\"r\":\"unsupported\",\"ms\":", ms, ",\"msg\":", json_string(message_of(encoded)), "}")
      } else {
        record <- paste0(head, "\"r\":\"value\",\"ms\":", ms, ",\"v\":", encoded, "}")
        if (nchar(record, type = "bytes") > max_record) {
          record <- paste0(head, "\"r\":\"unsupported\",\"ms\":", ms, ",\"msg\":",
                           json_string(sprintf("return value too large (%d bytes as JSON)", nchar(encoded, type = "bytes"))), "}")
        }
      }
      encoded <- NULL
    } else {
      msg <- if (res[[1L]] == "ok") "reached CPU time limit" else res[[2L]]
      verdict <- classify(msg)
      if (verdict == "TLE") {
        ms <- max(ms, as.integer(cfg$cpu * 1000))
        msg <- if (grepl("elapsed", msg, fixed = TRUE)) "time limit exceeded (wall-clock)" else "time limit exceeded"
      }
      record <- paste0(head, "\"r\":\"", verdict, "\",\"ms\":", ms, ",\"msg\":", json_string(msg), "}")
    }
    emit(record)
  }
  emit("{\"k\":\"done\"}")
  quit_now(0L)
}
