"""Which encoding a student's text file is in: what editors in Taiwan's classrooms save.

UTF-8 (with or without a BOM) first: it is what Python, Jupyter and VS Code write, and bytes that
decode as UTF-8 are almost never anything else. Then UTF-16 (Notepad's "Unicode", PowerShell's
``>``), recognised by its BOM or by its zero bytes. Then the Windows "ANSI" code pages a student's
Windows may use: CP950 (Big5, Taiwan), Big5-HKSCS (Hong Kong), GB18030 (GBK: simplified Chinese,
used by students from China and Malaysia), CP1252 (Western Windows: "×", curly quotes). Legacy
encodings decode each other's bytes into nonsense without an error, so among those that decode, the
one whose non-ASCII characters are most plausibly written (common Chinese characters, punctuation,
symbols) wins. This is decided line by line: in a UTF-8 file with a line pasted from an "ANSI"
editor, the UTF-8 lines stay as they are and only that line is read in the legacy encoding.

Linear in the size of the file: a few C-level decodes, and plausibility counted on at most
``_SAMPLE`` characters.
"""

from __future__ import annotations

import re

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
LEGACY = ("cp950", "big5hkscs", "gb18030", "cp1252")

# The most frequent Chinese characters (traditional and simplified forms), the words of this
# course, and the punctuation and symbols students type: what a right decoding is made of.
_COMMON_CHINESE = (
    "的一是不了人我在有他這这中大來来上國国個个到說说們们為为子和你地出道也時时年得就那要下以生會会自著着去之過过"
    "家學学對对可她裡里後后小麼么心多天而能好都然沒没日於于起還还發发成事只作當当想看文無无開开手十用主行方又如前所本見见"
    "經经頭头面公同三已老從从動动兩两長长知民樣样現现分將将外但身些與与高意進进把法此實实回二理美點点月明其種种聲声全工己"
    "話话兒儿者向情部正名定女問问力機机給给等幾几很業业最間间新什打便位因重被走電电四第門门相次東东政海口使教西再平真聽听"
    "世氣气信北少關关並并內内加化由卻却代軍军產产入先山五太水萬万市眼體体別别處处總总才場场師师書书比住員员九笑性通目華华"
    "報报立馬马命張张活難难神數数件安表原車车白應应路期叫死常提感金何更反合放做系計计或司利受光王果親亲界及今京務务制解各"
    "任至清物台象記记邊边共風风戰战干接它許许八特覺觉望直服毛林題题建南度統统色字請请交愛爱讓让認认算論论百吃義义科怎元社"
    "術术結结六功指思非流每青管夫連连遠远資资隊队跟帶带花快條条院變变聯联言權权往展該该領领傳传近留紅红治決决周保達达辦办"
    "運运武半候七必城父強强步完革深區区即求品士轉转量空甚眾众技輕轻程告江語语英基派滿满式李息寫写呢識识極极令黃黄德收臉脸"
    "錢钱倒未持取設设始版雙双歷历越史商千片容研像找友孩站廣广改議议形委早房音火際际則则首單单據据導导影失拿網网似專专石若"
    "兵弟誰谁校讀读志飛飞觀观爭争究包組组造落視视濟济喜離离坐集編编寶宝談谈府拉黑且隨随格盡尽講讲布微怕母調调局根曾準准團团"
    "段終终樂乐切級级克精哪官示冷域輸输層层參参卷積积池連连接通道尺寸狀状函式模型訓训練练批次特徵征圖图張张量維维度核步填充"
    "權权偏差總总共答案題题作業业請请填寫写格依例如為为全的與与即若則则所以因此因為为所得而且但是或者還是还是應該该需要"
    "，。、：；！？（）「」『』《》【】…—～·．"
)
_COMMON_SYMBOLS = "×·–—‘’“”…°±µéèàâüöäßñç→⇒÷√≈≤≥²³½¼"
_PLAUSIBLE = frozenset(_COMMON_CHINESE + _COMMON_SYMBOLS)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FOREIGN_LINE = re.compile(r"^[^\n]*[\udc80-\udcff][^\n]*$", re.MULTILINE)
_SAMPLE = 20_000  # characters of a decoding that are looked at
_SAMPLE_LINES = 2_000  # lines not in UTF-8 that are looked at
_LEAST_PLAUSIBLE = 0.2  # the share of common characters below which a decoding is nonsense


def decodings(data: bytes) -> list[tuple[str, str]]:
    """The ways ``data`` decodes as text, most likely first, as (text, encoding); empty when
    it decodes as none of them."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return [(data.decode(encoding), encoding)]
            except UnicodeDecodeError:
                return []
    if b"\x00" in data:
        return _utf16_without_bom(data)
    try:
        return [(data.decode("utf-8"), "utf-8")]
    except UnicodeDecodeError:
        return _line_by_line(data)


def _line_by_line(data: bytes) -> list[tuple[str, str]]:
    """Text that is not all UTF-8: its UTF-8 lines as they are, and the others (all of them, in a
    file saved as "ANSI") in the legacy encoding that reads them most plausibly."""
    # Invalid bytes become lone surrogates, so the lines that hold them are found in one pass.
    mixed = data.decode("utf-8", errors="surrogateescape")
    foreign = []
    for match in _FOREIGN_LINE.finditer(mixed):
        foreign.append(match.group().encode("utf-8", errors="surrogateescape"))
        if len(foreign) >= _SAMPLE_LINES:
            break
    sample = b"\n".join(foreign)
    ranked = []
    for position, encoding in enumerate(LEGACY):
        try:
            ranked.append((-_plausibility(sample.decode(encoding)), position, encoding))
        except UnicodeDecodeError:
            continue
    # Bytes that no encoding reads as plausible text are no text (junk, or a binary file).
    encodings = [encoding for score, _, encoding in sorted(ranked) if -score >= _LEAST_PLAUSIBLE]
    if len(foreign) >= _SAMPLE_LINES or not _NON_ASCII.search(_FOREIGN_LINE.sub("", mixed)):
        # Saved as "ANSI" throughout (or so much of it that line by line is not worth it).
        return [(data.decode(encoding, errors="replace"), encoding) for encoding in encodings]
    return [(_FOREIGN_LINE.sub(lambda match, encoding=encoding: match.group().encode(
        "utf-8", errors="surrogateescape").decode(encoding, errors="replace"), mixed), f"utf-8 and {encoding}")
        for encoding in encodings]


def _utf16_without_bom(data: bytes) -> list[tuple[str, str]]:
    """UTF-16 without a BOM: ASCII text has a zero in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return []
    even_zeros = data[0::2].count(0)
    odd_zeros = data[1::2].count(0)
    half = len(data) // 2
    encoding = "utf-16-le" if odd_zeros > 0.3 * half and even_zeros < 0.05 * half else \
        "utf-16-be" if even_zeros > 0.3 * half and odd_zeros < 0.05 * half else None
    if encoding is None:
        return []
    try:
        return [(data.decode(encoding), encoding)]
    except UnicodeDecodeError:
        return []


def _plausibility(text: str) -> float:
    """The share of the non-ASCII characters of ``text`` (a sample) that people commonly write."""
    sample = _NON_ASCII.findall(text, 0, _SAMPLE * 4)[:_SAMPLE]
    if not sample:
        return 1.0
    return sum(1 for character in sample if character in _PLAUSIBLE) / len(sample)
