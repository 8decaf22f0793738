<?php
// hashwall from PHP through FFI (php-cli; ffi.enable=preload allows it in
// CLI scripts): load a list, check URLs, print one verdict per line.
//
//   php check.php LIBHASHWALL_SO HASHWALL_H LIST_FILE URL...
//
// prints `URL<TAB>action<TAB>list-id<TAB>reference` for each URL (the
// first match's list and reference, `-` when none), or
// `URL<TAB>error<TAB>status-name<TAB>message`.
declare(strict_types=1);

[, $lib, $header, $list] = $argv;
$urls = array_slice($argv, 4);

// PHP's FFI parser takes declarations only, no preprocessor: keep the C
// (before C23) branches of the generated header, drop the C++ and C23 ones
// and every remaining directive.
$decls = file_get_contents($header);
$decls = preg_replace('/^#if(def)? [^\n]*__cplusplus[^\n]*\n.*?^#endif[^\n]*\n/ms', '', $decls);
$decls = preg_replace('/^#if __STDC_VERSION__ >= 202311L\n.*?^#else\n/ms', '', $decls);
$decls = preg_replace('/^\s*#.*$/m', '', $decls);
$hw = FFI::cdef($decls, $lib);

// FFI returns a `const char *` result as a PHP string (NULL as null).

// A C string PHP keeps alive for as long as the returned object lives.
function c_string(string $s): FFI\CData {
    $c = FFI::new('char[' . (strlen($s) + 1) . ']');
    FFI::memcpy($c, $s, strlen($s));
    return $c;
}

$path = c_string($list);
$paths = FFI::new('const char *[1]');
$paths[0] = FFI::cast('const char *', $path);
$snapshot = $hw->new('hashwall_snapshot *');
$err = $hw->new('hashwall_error *');
$status = $hw->hashwall_snapshot_load($paths, 1, null, true, FFI::addr($snapshot), FFI::addr($err));
if ($status !== $hw->HASHWALL_STATUS_OK) {
    fwrite(STDERR, 'load failed: ' . $hw->hashwall_error_message($err) . "\n");
    $hw->hashwall_error_free($err);
    exit(1);
}

foreach ($urls as $url) {
    $verdict = $hw->new('hashwall_verdict *');
    $err = $hw->new('hashwall_error *');
    $status = $hw->hashwall_snapshot_check_url($snapshot, $url, FFI::addr($verdict), FFI::addr($err));
    if ($status !== $hw->HASHWALL_STATUS_OK) {
        printf("%s\terror\t%s\t%s\n", $url, $hw->hashwall_status_name($status),
            $hw->hashwall_error_message($err));
        $hw->hashwall_error_free($err);
        continue;
    }
    $action = $hw->hashwall_action_name($hw->hashwall_verdict_action($verdict));
    $listId = '-';
    $reference = '-';
    if ($hw->hashwall_verdict_match_count($verdict) > 0) {
        $m = $hw->hashwall_verdict_match($verdict, 0);
        $listId = $hw->hashwall_match_list_id($m);
        $reference = $hw->hashwall_match_reference($m) ?? '-'; // NULL: no reference
    }
    printf("%s\t%s\t%s\t%s\n", $url, $action, $listId, $reference);
    $hw->hashwall_verdict_free($verdict);
}
$hw->hashwall_snapshot_free($snapshot);
