"""Names that every output must show as data: organisation names (subject O=), CA names, option labels.

Import ``HOSTILE_NAMES`` (every case) or ``SCRIPT_NAMES`` (real-world names in non-Latin scripts) and push each
value through a sink: CSV, plain-text tables and summaries, figure text, HTML/Markdown. Each entry is
``(value, what it tests)``. Every value is a valid Unicode string that a certificate's UTF8String could carry (no
lone surrogates), so one list serves every sink.
"""

from __future__ import annotations

# Organisation names in the scripts a report must render (figures: glyphs, not boxes; text: display columns).
SCRIPT_NAMES: list[tuple[str, str]] = [
    ("株式会社日本レジストリサービス", "Japanese (kanji + katakana, wide: 2 columns each)"),
    ("中国互联网络信息中心", "Chinese (simplified, wide)"),
    ("한국정보인증주식회사", "Korean (Hangul syllables, wide)"),
    ("شركة الاتصالات السعودية", "Arabic (right-to-left, joined letters)"),
    ("ООО «Яндекс»", "Cyrillic with guillemets"),
    ("Ελληνικά Ακαδημαϊκά και Ερευνητικά Ιδρύματα", "Greek with diacritics"),
    ("Cafe\u0301 Socie\u0301te\u0301 Ge\u0301ne\u0301rale", "Latin with combining acute accents (zero width)"),
    ("ＡＣＭＥ　株式会社", "fullwidth Latin letters and an ideographic space (wide)"),
]

HOSTILE_NAMES: list[tuple[str, str]] = SCRIPT_NAMES + [
    # Spreadsheet formulas (OWASP CSV injection): must reach a CSV cell as text.
    ('=HYPERLINK("http://evil.example/","click")', "CSV formula starting with ="),
    ("+1+cmd|' /C calc'!A0", "CSV formula starting with + (DDE)"),
    ("-2+3", "CSV formula starting with - (looks like a number)"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "CSV formula starting with @"),
    ("\t=1+1", "CSV formula behind a leading tab"),
    ("\r=1+1", "CSV formula behind a leading carriage return"),
    ("＝1+1", "CSV formula with a fullwidth equals sign"),
    # matplotlib mathtext: a $ pair must not turn into maths, an invalid one must not crash the figure.
    ("$\\frac{1}{2}$ Trust Services", "mathtext fraction between dollar signs"),
    ("Price $5 and $6 Ltd", "two dollar signs (mathtext would italicise the text between)"),
    ("$\\undefinedmacro{x}$", "invalid mathtext (would raise when drawn)"),
    ("^_{}\\ %&#~ special", "TeX special characters"),
    # Control characters: shown escaped (\n, \t, \x00), never as a second line or a box.
    ("ACME\nSecond Line Inc", "newline inside O="),
    ("ACME\tTabbed Corp", "tab inside O="),
    ("ACME\r\nCRLF Corp", "carriage return + newline"),
    ("NUL\x00Byte GmbH", "NUL character"),
    ("\x1b[31mRed\x1b[0m Terminal", "ANSI escape sequence"),
    ("Next\x85Line", "C1 control NEL (a line break for some readers)"),
    ("Line\u2028Separator\u2029Para", "Unicode line and paragraph separators"),
    # Bidirectional controls: would reorder the rest of the line.
    ("ACME \u202egnp.exe\u202c Corp", "right-to-left override (U+202E)"),
    ("\u2067Isolated\u2069 \u202aEmbedded\u202c", "bidi isolates and embeddings"),
    ("AC\u200bME\ufeff", "zero-width space and byte-order mark (invisible)"),
    ("Private\ue000Use \U0010ffff", "private-use and noncharacter code points"),
    # Markup for HTML/Markdown sinks.
    ("CN=X <img src=x onerror=alert(1)> Root", "HTML tag with an event handler"),
    ("<script>alert(1)</script>", "script element"),
    ("Tom &amp; Jerry &lt;b&gt;", "HTML entities (must show literally)"),
    ("**bold** [link](javascript:alert(1)) `code` | pipe |", "Markdown emphasis, link, code and table pipe"),
    ("# Heading", "Markdown heading marker"),
    ("ACME\\nNot A Newline", "a literal backslash-n (not a control character)"),
    # Sizes.
    ("", "empty string"),
    ("   ", "whitespace only"),
    ("Certification Authority of the Very Long Organisation Name Holding Company International Limited",
     "long name with spaces (wrapping, truncation, n = on the title line)"),
    ("A" * 150, "one word wider than any line"),
    ("ＬＯＮＧ全角文字の組織名前" * 6, "long run of wide characters without spaces"),
    ("🔒 Secure Corp 🔐", "emoji outside the Basic Multilingual Plane"),
]

NAMES = [value for value, _ in HOSTILE_NAMES]
