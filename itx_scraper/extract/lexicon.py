"""Word lists and regular expressions with which :mod:`itx_scraper.extract` reads prose."""

from __future__ import annotations

import re

_I = re.IGNORECASE

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMW = "|".join(NUMBER_WORDS)
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
}
# After "1Q"/"10M"/"1H" the next "FY"/"CY" is glued to a letter, so \b cannot be used.
_GLUED = r"(?:(?<![A-Za-z])|(?<=\d[MQHmqh]))"

# ---- values -------------------------------------------------------------------------------
_CUR = r"(?:(?<![A-Za-z])U\.?S\.?\s?\$|(?<![A-Za-z])USD\s?|\$)"
# A number: "1,438.83" or "2.593"; bounded digit runs keep floats finite.
_NUM = (
    r"(?<![\d.,])(?P<{0}>\d{{1,3}}(?:,\d{{3}}){{1,4}}(?:\.\d{{1,6}})?|\d{{1,12}}(?:\.\d{{1,6}})?)"
    r"(?![\d])"
)
# "m"/"b" only when no letter or digit follows ("$5 more", "B2B" are not units).
_UNIT = (
    r"(?P<u>million|mln|mn|m|billion|bln|bn|b|thousand|k|crore|lakh|lac|trillion|tn)"
    r"(?![a-z0-9])"
)
UNITS = {
    "million": 1.0,
    "mln": 1.0,
    "mn": 1.0,
    "m": 1.0,
    "billion": 1e3,
    "bln": 1e3,
    "bn": 1e3,
    "b": 1e3,
    "thousand": 1e-3,
    "k": 1e-3,
    "crore": 10.0,
    "lakh": 0.1,
    "lac": 0.1,
    "trillion": 1e6,
    "tn": 1e6,
}
_DOLLARS = r"(?:US\s*dollars?|U\.S\.\s*dollars?|dollars?|USD|US\$)(?![a-z])"
# "$310 million", "US$2.59bn", "$3.5-3.7 billion" (a range: projections), "$310-million".
MONEY_CUR_FIRST = re.compile(
    rf"{_CUR}\s*{_NUM.format('n')}(?:\s*(?P<r>-|to)\s*(?:{_CUR}\s*)?{_NUM.format('hi')})?"
    rf"(?:[\s-]*{_UNIT})?(?:\s+(?:of\s+)?{_DOLLARS})?",
    _I,
)
# "310 million US dollars", "31 crore dollars" (Urdu کروڑ ڈالر after normalising).
MONEY_UNIT_FIRST = re.compile(rf"{_NUM.format('n')}\s*{_UNIT}\s*(?:of\s+)?{_DOLLARS}", _I)
# Urdu "33 کروڑ 20 لاکھ ڈالر": several units add up before the currency word.
MONEY_COMPOUND = re.compile(
    r"(?<![\d.,])(?P<parts>(?:\d{1,6}(?:\.\d{1,4})?\s*(?:billion|crore|lakh|million)\s+){2,3})"
    r"(?:of\s+)?" + _DOLLARS,
    _I,
)
COMPOUND_PART = re.compile(r"(\d{1,6}(?:\.\d{1,4})?)\s*(billion|crore|lakh|million)", _I)
# "vs 2.135 billion": the currency is implied only right after a comparison word.
MONEY_IMPLIED = re.compile(
    rf"(?:\bvs\b\.?|\bversus|compared\s+(?:to|with)|\bagainst|\bfrom)\s+{_NUM.format('n')}\s*"
    r"(?P<u>billion|bn|million|mn)(?![a-z0-9])(?!\s*(?:rupees|PKR|Rs)\b)",
    _I,
)
RANGE_WORD = re.compile(r"\b(?:to|till|until|through)\b", _I)
FROM_BEFORE = re.compile(r"\bfrom\s*$", _I)
PCT = re.compile(
    r"(?<![\w.])(?P<sign>[+-])?\s?(?P<n>\d{1,4}(?:\.\d{1,4})?)\s*(?:%|percent\b|per\s*cent\b|pc\b|pct\b)",
    _I,
)

# ---- period atoms, lexed in this order (earlier ones win overlaps) ---------------------------
DAYDATE = re.compile(  # "17 April 2024", "Nov 17 (APP)": a dateline, never the data period
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b\.?(?:,?\s*(?:19|20)\d{{2}}\b)?"
    rf"|\b{MONTH}\b\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|pc\b|months?|-|,?\s*\d))"
    r"(?:,?\s*(?:19|20)\d{2}\b)?",
    _I,
)
REL = re.compile(  # phrases that are only meaningful relative to another period
    r"\b(?:the\s+)?(?:same|corresponding|similar|comparable)\s+(?:period|months?|quarter|time)"
    r"(?:\s+(?:of\s+|in\s+|during\s+)?(?:the\s+)?(?:(?:last|previous|preceding|prior|past)\s+"
    r"(?:fiscal\s+|financial\s+)?year|a\s+year\s+(?:ago|earlier|before)))?"
    r"|\b(?:a|one)\s+year\s+(?:ago|earlier|before)|\byear[-\s]ago\b"
    r"|\b(?:the\s+)?(?:last|previous|preceding|prior)\s+year\b"
    r"|\b(?:the\s+)?(?:previous|preceding|prior|last)\s+month\b|\ba\s+month\s+(?:ago|earlier)",
    _I,
)
_FY_PREFIX = r"(?:(?:the\s+)?(?:current|this|ongoing|last|previous)\s+)?"
FY_SHORT = re.compile(  # FY24, FY2024, FY2023-24, FY 23/24, FY'24
    rf"{_GLUED}{_FY_PREFIX}FY\s*'?\s*-?\s*(?:(?P<a>(?:19|20)\d{{2}})\s*[-/]\s*(?P<b>(?:19|20)?\d{{2}})"
    r"|(?P<c>(?:19|20)\d{2})|(?P<d>\d{2})\s*[-/]\s*(?P<e>\d{2})|(?P<f>\d{2}))(?![\d])",
    _I,
)
FY_LONG = re.compile(  # fiscal year 2023-24, financial year 2024
    rf"\b{_FY_PREFIX}(?:fiscal|financial)(?:\s+year)?\s+(?:(?P<a>(?:19|20)\d{{2}})\s*[-/]\s*"
    r"(?P<b>(?:19|20)?\d{2})|(?P<c>(?:19|20)\d{2}))(?![\d])",
    _I,
)
FY_ENDING = re.compile(  # "the fiscal year ending June 2025", "fiscal year ended 30 June 2024"
    r"\b(?:fiscal|financial)\s+year\s+(?:ending|ended|that\s+ended|which\s+ended)\s+(?:on\s+)?"
    r"(?:(?:30(?:th)?\s+)?June|June\s+30(?:th)?),?\s+(?P<c>(?:19|20)\d{2})(?!\d)",
    _I,
)
CY = re.compile(rf"{_GLUED}(?:calendar\s+year|CY)\s*'?\s*(?P<y>(?:19|20)\d{{2}}|\d{{2}})(?!\d)", _I)
CURFY = re.compile(
    r"\b(?:the\s+)?(?P<w>current|this|ongoing|present|running|outgoing|new|last|previous|preceding"
    r"|past|prior|next|coming|upcoming)?\s*(?:fiscal|financial)\s+year\b|\b(?P<w2>current|this|last|previous"
    r"|next)\s+FY\b",
    _I,
)
CURFY_OFFSET = {
    "last": -1,
    "previous": -1,
    "preceding": -1,
    "past": -1,
    "prior": -1,
    "next": 1,
    "coming": 1,
    "upcoming": 1,
}
YEARPAIR = re.compile(r"(?<![\d/-])(?P<a>(?:19|20)\d{2})\s*[-/]\s*(?P<b>(?:19|20)?\d{2})(?![\d/-])")
COUNT = re.compile(  # "first ten months", "10-month", "10MFY24", "9M2022", "the first month of"
    rf"\b(?:(?:the\s+)?(?P<pre>first|initial|opening|past|last|preceding)\s+)?(?P<n>\d{{1,2}}|{_NUMW})"
    rf"(?:\s*-\s*|\s+)months?\b|\b(?P<n2>\d{{1,2}})\s*M(?=\s*'?\s*(?:FY|CY|(?:19|20)\d{{2}}))"
    r"|\b(?:the\s+)?(?P<one>first|opening)\s+month\b(?!s)",
    _I,
)
QTR = re.compile(  # Q1, 1Q, H1, 1H, "first quarter", "second half", "the quarter ended"
    r"\b(?:Q\s?(?P<q1>[1-4])|(?P<q2>[1-4])\s?Q|H\s?(?P<h1>[12])|(?P<h2>[12])\s?H)(?!\d)"
    r"|\b(?P<ending>quarter|half[-\s]year|six\s+months)(?=\s+(?:ended|ending|to|through)\b)"
    r"|\b(?:the\s+)?(?P<ord>first|second|third|fourth|final|last|1st|2nd|3rd|4th)\s+"
    r"(?P<unit>quarter|half)\b",
    _I,
)
MON = re.compile(rf"\b(?P<m>{MONTH})\b\.?(?:\s*['/-]\s*(?P<yy>\d{{2}})(?![\d%]))?", _I)
Y4 = re.compile(
    r"(?<![\d.,$])(?P<y>(?:19|20)\d{2})(?![\d.,]?\d|\s*(?:%|percent|pc\b|million|billion|mn\b|bn\b))"
)

# ---- glue between atoms (parentheses and commas are removed first) -------------------------
OF_GLUE = re.compile(  # "July-April of FY24", "the July-March period of FY24", "FY24's"
    r"^(?:(?:the\s+)?(?:period|months?|quarter|half)\s*)?(?:(?:of|in|for|during|within|-)"
    r"(?:\s+the)?)?$|^'s$|^(?:کے|کی|کا)$",
    _I,
)
ENDING_GLUE = re.compile(r"^(?:to|ending|ended|through|till|until|up\s+to)$", _I)
EMPTY_GLUE = re.compile(r"^$")
LAST_YEAR_GLUE = re.compile(r"^(?:of)?$", _I)
RANGE_GLUE = re.compile(r"^(?:-|to|till|until|through|thru|/|and)$", _I)
BETWEEN_BEFORE = re.compile(r"\bbetween\s*$", _I)
RANGE_AFTER_FY_GLUE = re.compile(r"^(?:|میں|کے|کی|کا|کے\s+دوران)$")  # "FY25 (July-March)"
MAY_HEADLINE = re.compile(r"^(?:'s)?\s+(?:IT|ICT|exports?|figures?|data)\b")
MAY_PREP = re.compile(
    r"(?:\bin|during|for|of|and|to|from|since|till|until|through|month|,)\s*$", _I
)

# ---- cues around values --------------------------------------------------------------------
CMP_CUE = re.compile(
    r"\b(?:(?:as\s+)?compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|as\s+against|against"
    r"|vs\b\.?|v/s|versus|(?:higher|lower|greater|up|down)\s+than|from)",
    _I,
)
AFTER_CMP_PERIOD = re.compile(  # "compared to FY23's $2.6bn", "against last year, when it was"
    r"^\s*(?:'s?|,)?\s*(?:(?:when|as)\s+(?:it|they|exports|the\s+figure)\s+(?:was|were|stood\s+at"
    r"|amounted\s+to)\s*)?(?:of\s+)?$",
    _I,
)
CMP_BEFORE_PERIOD = re.compile(  # "compared to April 2023", "over the same period"
    r"(?:\bcompared\s+(?:to|with)|\bagainst|\bvs\b\.?|\bversus|\bfrom|\bover|\bthan|\bsince)\s*"
    r"(?:the\s+|that\s+of\s+(?:the\s+)?)?(?:level\s+of\s+|figure\s+of\s+)?$",
    _I,
)
AFTER_PCT_CMP = re.compile(  # "a growth of 24% over $2.6 billion"
    r"^\s*,?\s*(?:over|on|from|against|compared\s+(?:to|with)|vs\b\.?)\s+(?:the\s+|a\s+)?$", _I
)
AND_CHAIN = re.compile(
    r"^\s*(?:(?:in|during|for|of)\s+(?:the\s+)?P\s*)?,?\s*(?:and|or|as\s+well\s+as)\s*(?:from\s+)?$",
    _I,
)
GAP_BLOCK = re.compile(  # a period is not the amount's own when these words stand between them
    r";|\b(?:compared|comparison|against|vs|versus|than|after|before|while"
    r"|whereas|but|which|when|and)\b|(?<!\w)(?:جو|جبکہ|اور|تاہم|لیکن|مگر)(?!\w)",
    _I,
)
# Growth clauses between an amount and its period ("up 9% year-on-year and 4% month-on-month, in
# Sept. 2025") do not separate them: a gap piece holding a masked rate and only these words.
GAP_PIECE = re.compile(r"[,()]|\s-|-\s")
GROWTH_FILLER = re.compile(
    r"\b(?:up|down|rising|falling|higher|lower|more|less|by|a|an|the|of|its|increase|rise|growth"
    r"|decline|drop|jump|surge|gain|fall|year[-\s]on[-\s]year|month[-\s]on[-\s]month|yoy|mom|y/y"
    r"|m/m|on|over|from|than|compared|with|to|against|month|year|ago|earlier|previous|preceding"
    r"|prior|last|same|period|and|but|percent|annual|annually|basis|sequential\w*|respectively"
    r"|recording|registering|showing|posting|marking|reflecting|highest|lowest|record|ever|best"
    r"|quarterly|monthly|figure|yet|so\s+far)\b|\u00a4|\s+",
    _I,
)
TIGHT_LABEL = re.compile(r"^[\s:=(-]{0,3}$")  # "Oct-24 $330m", "4MFY25: $1.21bn"
GROWTH_PIECE_BLOCK = re.compile(
    r";|\b(?:while|whereas|which|when|however|after|before|inflation|GDP|rupee|imports?"
    r"|remittances|policy\s+rate)\b",
    _I,
)
MASK = "\u00a4"  # stands for a growth rate or a comparison period inside a gap
CLAUSE_BREAK = re.compile(
    r";|\bwhile\b|\bwhereas\b|\bbut\b|\bhowever\b|(?<!\w)(?:جبکہ|تاہم|لیکن|مگر)(?!\w)", _I
)
TARGET_CUE = re.compile(
    r"\btarget\w*|\bgoal\b|\baim(?:s|ed|ing)?\b|\benvisag\w*|\bambition\w*|\bvision\b"
    r"|\bplans?\s+to\b|\bseeks?\s+to\b|\bwants?\s+to\b|\bpledg\w*|\bhopes?\b|\broadmap\b"
    r"|\beye(?:s|ing)\b|\bsights\s+on\b",
    _I,
)
PROJ_CUE = re.compile(
    r"\bproject(?:ed|ion|ions)\b|\bexpect\w*|\bforecast\w*|\bestimat\w*|\blikely\b|\bpoised\b"
    r"|\bon\s+(?:track|course)\b|\brun[-\s]rate\b|\bannuali[sz]\w*|\bwill\b|\bwould\b|\bcould\b"
    r"|\bshould\b|\bcan\s+(?:reach|touch|cross|surpass|achieve)\b|\bpotential\w*|\banticipat\w*"
    r"|\bmay\s+(?:reach|cross|touch|surpass|exceed|hit|rise|grow|increase|climb)\b|\bpredict\w*"
    r"|\boutlook\b|\bset\s+to\b",
    _I,
)
# A past-tense verb after a target/projection word means the amount is an outcome again.
RESET = re.compile(
    r"\b(?:rose|reached|stood|increased|grew|jumped|surged|climbed|recorded|registered|clocked"
    r"|totall?ed|amounted|fetched|earned|posted|touched|crossed|declined|fell|dropped)\b",
    _I,
)
TARGET_POST = re.compile(r"^\W{0,3}(?:(?:IT|ICT)\s+)?(?:exports?\s+)?(?:target|goal)\b", _I)
# A horizon after the amount ("$10 billion by 2029") is a target unless a projection word says
# it is an estimate ("could double to $7 billion by 2028").
TARGET_HORIZON_POST = re.compile(
    r"^[^.;]{0,30}?\bby\s+(?:the\s+end\s+of\s+)?(?:FY\s*'?\d{2,4}|(?:19|20)\d{2})\b"
    r"|^[^.;]{0,30}?\b(?:in|within|over)\s+(?:the\s+)?(?:next\s+)?(?:\d+|two|three|four|five|six"
    r"|seven|eight|ten|few)\s+years\b",
    _I,
)
BY_YEAR = re.compile(  # "by 2029", "by FY30", "by FY2029-30", "by 2029-30" (not "by 29 percent")
    r"\bby\s+(?:the\s+end\s+of\s+)?(?:FY\s*'?(?:(?P<a>(?:19|20)\d{2})\s*[-/]\s*\d{2}|(?P<fy>\d{2,4}))"
    r"|(?:June\s+)?(?:(?P<b>(?:19|20)\d{2})\s*[-/]\s*\d{2}|(?P<y>(?:19|20)\d{2})))\b",
    _I,
)
OTHER_CUE = re.compile(  # not ICT exports of a period: net, surplus, wider aggregates, other flows
    r"\bnet\b|\bsurplus\b|\bdeficit\b|\bimports?\b|\bfreelanc\w*|\btotal\s+services\b"
    r"|\boverall\s+(?:services\s+)?exports\b|\bexports\s+of\s+services\b"
    r"|\b(?:country|pakistan)'?s?\s+services\s+exports\b|\b(?:home|workers'?)\s+remittances\b"
    r"|\b(?:goods|merchandise|textile|total)\s+exports\b"
    r"|(?<!export )(?<!exports )(?<!ICT )(?<!IT )\bremittances\b(?!\s+(?:from|of|on|through)\s+"
    r"(?:the\s+)?(?:IT|ICT|information|computer|telecom))|\breserves\b|\bFDI\b"
    r"|\bforeign\s+direct\s+investment\b|\bloans?\b|\bdebt\b|\bIMF\b|\bcurrent\s+account\b"
    r"|\bbudget\w*|\btax\w*|\brevenues?\b|\baverag\w*"
    r"|\b(?:computer|telecom\w*|call\s+cent(?:er|re))\s+services\s+exports\b"
    r"|\bexports\s+of\s+(?:computer|telecom\w*|call\s+cent(?:er|re))\s+services\b"
    r"|(?<=\S)(?<!IT)(?<!ICT)(?<!متعلقہ)\s+services\s+(?:کی|کے)\s+exports\b",  # Urdu word order
    _I,
)
# Growth rates of these are not export growth.
PCT_OTHER_SUBJECT = re.compile(
    r"\binflation\b|\bCPI\b|\bGDP\b|\beconomy\b|\bpolicy\s+rate\b|\binterest\s+rates?\b"
    r"|\bmark-?up\b|\brupee\b|\bdepreciat\w*|\bappreciat\w*|\bduty\b|\btariffs?\b"
    r"|\bsubscribers?\b|\busers?\b|\bfreelancers?\b|\bpenetration\b",
    _I,
)
RUPEE_NEAR = re.compile(r"\bRs\b\.?|\bPKR\b|\brupees?\b", _I)
DELTA_PRE = re.compile(  # "an increase of $458 million", "up $22m": a change, not a level
    r"(?:\b(?:an?\s+)?(?:record\s+)?(?:increase|rise|growth|jump|surge|gain|hike|decline|decrease"
    r"|drop|fall|dip|addition)\s+of|\b(?:increased|rose|grew|jumped|surged|climbed|gained|declined"
    r"|decreased|dropped|fell|up|down|higher|lower|more|less|additional|extra)(?:\s+by)?)\s+"
    r"(?:about\s+|around\s+|nearly\s+|over\s+|some\s+|almost\s+|approximately\s+|roughly\s+)?$",
    _I,
)
DELTA_POST = re.compile(
    r"^\s*(?:(?:کا|کی|کے)\s+)?(?:more|less|higher|lower|increase|rise|jump|growth|decline|drop|addition"
    r"|up(?!\s+from)|down(?!\s+from))\b",
    _I,
)
THRESHOLD_PRE = re.compile(
    r"\b(?:above|below|under|beyond|(?:mark|threshold|barrier|milestone|level)\s+of)\s+(?:the\s+)?$",
    _I,
)
THRESHOLD_POST = re.compile(r"^\s*(?:mark|threshold|barrier|milestone|level)\b", _I)
# "topping $350 million", "surpassed $3.5 billion", "crossed over $3 billion": a threshold passed.
THRESHOLD_VERB = re.compile(
    r"\b(?:top(?:s|ped|ping)?|surpass(?:es|ed|ing)?|exceed(?:s|ed|ing)?|cross(?:es|ed|ing)?"
    r"|breach(?:es|ed|ing)?|(?:broke|break(?:s|ing)?)\s+(?:through|past)|(?:went|goes|going|shot"
    r"|surged|climbed|rose|jumped|moved)\s+past)(?:\s+(?:over|past|beyond))?\s+(?:the\s+)?$",
    _I,
)
CUMULATIVE = re.compile(
    r"\bcumulative\w*|\bso\s+far\b|\byear[-\s]to[-\s]date\b|\bFYTD\b|\bYTD\b|\bto\s+date\b"
    r"|\b(?:bringing|taking|pushing)\s+the\s+(?:\w+\s+)?total\b|\bcurrent\s+fiscal\s+year'?s?\s+total",
    _I,
)
SURVEY = re.compile(
    r"\beconomic\s+survey\b(?:\s+(?:of\s+)?(?:pakistan\s+)?\(?(?P<a>(?:19|20)\d{2})\s*[-/]\s*"
    r"(?P<b>\d{2,4}))?",
    _I,
)

# ---- growth percentages --------------------------------------------------------------------
GROWTH_CUE = re.compile(
    r"(?P<neg>negative\s+growth|\bdeclin\w*|\bdecreas\w*|\bdown\b|\bfell\b|\bfall(?:en|ing|s)?\b"
    r"|\bdrop\w*|\bdip\w*|\blower\b|\bslump\w*|\bcontract\w*|\bshr[aiu]nk\w*|\bplung\w*"
    r"|\bplummet\w*|\bslid\w*|decline)"
    r"|(?P<pos>\bincreas\w*|\bris(?:e|es|en|ing)\b|\brose\b|\bup\b|\bgrow\w*|\bgrew\b|\bjump\w*"
    r"|\bsurg\w*|\bclimb\w*|\bhigher\b|\bgain\w*|\bexpan\w*|\bimprov\w*|\bboost\w*|\bsoar\w*"
    r"|\bspik\w*|\brebound\w*|\bupsurge\b|\buptick\b|\bhike\b|increase)"
    r"|(?P<mom>\bmonth[-\s]on[-\s]month\b|\bMoM\b|\bm/m\b|\bmonth[-\s]over[-\s]month\b"
    r"|\bsequential\w*|\b(?:previous|preceding|prior|last)\s+month\b)"
    r"|(?P<yoy>\byear[-\s]on[-\s]year\b|\bYoY\b|\by/y\b|\byear[-\s]over[-\s]year\b"
    r"|\b(?:last|previous|preceding|prior)\s+(?:fiscal\s+)?year\b|\bsame\s+(?:period|month)\b"
    r"|\bcorresponding\b|\byear[-\s]ago\b|\ba\s+year\s+(?:ago|earlier)\b|\bannual\b)",
    _I,
)
PCT_SHARE = re.compile(
    r"\bshare\b|\baccounts?\s+for\b|\bcontribut\w*|\bconstitut\w*|\bmaking\s+up\b|\bportion\b", _I
)
PCT_OF = re.compile(r"^\s*(?:of\s+(?!growth|increase)|share\b|points?\b)", _I)
PCT_BRACKET = re.compile(r"^\s*\(\s*$")  # "$330m (+39% YoY)"
PCT_RANGE_BEFORE = re.compile(r"\d\s*(?:-|to)\s*$", _I)
MOM_WORDS = re.compile(
    r"\bmonth[-\s]on[-\s]month\b|\bMoM\b|\bm/m\b|\b(?:previous|preceding|prior|last)\s+month\b", _I
)
YOY_WORDS = re.compile(
    r"\byear[-\s]on[-\s]year\b|\bYoY\b|\by/y\b|\blast\s+year\b|\ba\s+year\s+(?:ago|earlier)\b"
    r"|\bsame\s+month\b|\byear[-\s]ago\b",
    _I,
)

REVISION = re.compile(r"\brevis\w*|\brestat\w*|\bprovisional\b|\bearlier\s+estimate", _I)

# ---- sentence splitting and Urdu -----------------------------------------------------------
SENTENCE_END = re.compile(  # ". " before a capital or Urdu letter, the Urdu full stop, newlines
    r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]*[A-Z\u0600-\u06FF])|(?<=[\u06d4\u061f])\s*|\n+"
)
ABBREVIATION_END = re.compile(
    r"\b(?:vs|v|Rs|Mr|Ms|Dr|No|approx|est|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S"
    r"|Govt|Inc|Ltd|Co|St|Pvt)\.$"
)
CHAR_MAP = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u066b": ".",
        "\u066c": ",",
        "\u060c": ",",
        "\u066a": "%",
        "\u200c": " ",
        "\u200f": " ",
        "\u200e": " ",
    }
)
URDU_MONTHS = {
    "جنوری": "January",
    "فروری": "February",
    "مارچ": "March",
    "اپریل": "April",
    "مئی": "May",
    "جون": "June",
    "جولائی": "July",
    "اگست": "August",
    "ستمبر": "September",
    "اکتوبر": "October",
    "نومبر": "November",
    "دسمبر": "December",
}
URDU_MONTH = re.compile(r"(?<!\w)(" + "|".join(URDU_MONTHS) + r")(?!\w)")
# Letters written with Arabic code points, and marks that Urdu text carries only sometimes.
URDU_LETTERS = str.maketrans(
    {"\u0643": "\u06a9", "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0647": "\u06c1", "\u0640": None}
    | {chr(c): None for c in range(0x064B, 0x0660)}
    | {"\u0670": None}
)
URDU_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_UR_TENS = (  # 1-19, then one row per ten: 20-29, 30-39, ... 90-99
    "ایک دو تین چار پانچ چھ سات آٹھ نو دس گیارہ بارہ تیرہ چودہ پندرہ سولہ سترہ اٹھارہ انیس",
    "بیس اکیس بائیس تئیس چوبیس پچیس چھبیس ستائیس اٹھائیس انتیس",
    "تیس اکتیس بتیس تینتیس چونتیس پینتیس چھتیس سینتیس اڑتیس انتالیس",
    "چالیس اکتالیس بیالیس تینتالیس چوالیس پینتالیس چھیالیس سینتالیس اڑتالیس انچاس",
    "پچاس اکاون باون ترپن چون پچپن چھپن ستاون اٹھاون انسٹھ",
    "ساٹھ اکسٹھ باسٹھ تریسٹھ چونسٹھ پینسٹھ چھیاسٹھ سڑسٹھ اڑسٹھ انہتر",
    "ستر اکہتر بہتر تہتر چوہتر پچھتر چھہتر ستتر اٹھہتر اناسی",
    "اسی اکیاسی بیاسی تراسی چوراسی پچاسی چھیاسی ستاسی اٹھاسی نواسی",
    "نوے اکانوے بانوے ترانوے چورانوے پچانوے چھیانوے ستانوے اٹھانوے ننانوے",
)
_UR_ONES = [word for row in _UR_TENS for word in row.split()]
URDU_NUMBERS: dict[str, int] = {word: n for n, word in enumerate(_UR_ONES, 1)} | {
    "صفر": 0,
    "چھے": 6,
    "تئیں": 23,
    "اکیاون": 51,
    "سرسٹھ": 67,
    "اناسی": 79,
}
URDU_HUNDRED = "سو"
URDU_POINT = "عشاریہ"
URDU_POINT_SPELLINGS = re.compile(r"(?<!\w)(?:اعشاریہ|اعشاریّہ|پوائنٹ)(?!\w)")
URDU_YEAR_MARK = re.compile(r"(\d)\s*ء")  # "2024ء": the year sign after a year
URDU_HALVES = {"ڈیڑھ": 1.5, "ڈھائی": 2.5}
URDU_FRACTIONS = {"سوا": 0.25, "ساڑھے": 0.5, "پونے": -0.25}  # "ساڑھے تین" is 3.5
_UR_NUMBER_TOKEN = "|".join(
    sorted([*URDU_NUMBERS, *URDU_HALVES, *URDU_FRACTIONS, URDU_HUNDRED, URDU_POINT], key=len)[::-1]
)
# A run of number words and digits ("ایک ارب" has one, "ساڑھے تین" two, "12 عشاریہ 4" three).
URDU_NUMBER_RUN = re.compile(
    rf"(?<![\w.])(?:(?:{_UR_NUMBER_TOKEN})(?!\w)|\d{{1,6}}(?:\.\d{{1,6}})?(?![\d.\w]))"
    rf"(?:\s+(?:(?:{_UR_NUMBER_TOKEN})(?!\w)|\d{{1,6}}(?!\d)(?![.\w])))*"
)
# What a number in words must stand before to be read as one (a unit, months, percent).
URDU_NUMBER_UNIT = re.compile(r"\s*(?:ارب|کروڑ|لاکھ|ملین|بلین|ڈالر|فیصد)(?!\w)")
URDU_COUNT_UNIT = re.compile(r"\s*(?:ماہ|مہینوں|مہینے)(?!\w)")
# "مالی سال 24-2023" is "2023-24" typed in the other direction.
URDU_REVERSED_FY = re.compile(r"(?<![\d/-])(\d{2})\s*[-/]\s*((?:19|20)\d{2})(?![\d/-])")
_UR_LAST = r"(?:گزشتہ|گذشتہ|پچھلے|پچھلا|پچھلی|گزشتی)"
_UR_YEAR = r"(?:سال|برس)"
_UR_OF = r"(?:\s+(?:کے|کی|کا))?"
_UR_ORDINAL = r"(?P<ord>پہلی|پہلے|دوسری|دوسرے|تیسری|تیسرے|چوتھی|چوتھے|ابتدائی|آخری)"
URDU_ORDINALS = {
    "پہلی": "first",
    "پہلے": "first",
    "ابتدائی": "first",
    "دوسری": "second",
    "دوسرے": "second",
    "تیسری": "third",
    "تیسرے": "third",
    "چوتھی": "fourth",
    "چوتھے": "fourth",
    "آخری": "last",
}
URDU_QUARTER = re.compile(rf"{_UR_ORDINAL}\s+(?P<unit>سہ\s*ماہی|ششماہی|شش\s+ماہی)(?!\w)")
URDU_COUNT = re.compile(  # "پہلے پانچ ماہ", "ابتدائی 9 مہینوں", "10 ماہ", "پہلے مہینے"
    r"(?<!\w)(?:(?P<first>پہلے|ابتدائی)\s+)?(?P<n>\d{1,2})?\s*(?P<unit>ماہ|مہینوں|مہینے)(?!\w)"
)
_URDU_PHRASES: tuple[tuple[str, str], ...] = (  # applied in order after digits are made ASCII
    (
        _UR_LAST + r"\s+(?:مالی\s+)?" + _UR_YEAR + _UR_OF + r"\s+(?:اسی|اس|انہی|ان)\s+"
        r"(?:عرصے|عرصہ|مدت|دورانیے|دوران|مہینوں)",
        " same period last year ",
    ),
    (
        _UR_LAST + r"\s+(?:مالی\s+)?" + _UR_YEAR + _UR_OF + r"\s+(?:اسی|اس)\s+(?:ماہ|مہینے)",
        " same month last year ",
    ),
    (
        r"(?:اسی|اس)\s+(?:عرصے|عرصہ|مدت)"
        + _UR_OF
        + r"\s+(?:دوران\s+)?"
        + _UR_LAST
        + r"\s+"
        + _UR_YEAR,
        " same period last year ",
    ),
    (r"(?:رواں|موجودہ|جاری|حالیہ)\s+مالی\s+" + _UR_YEAR, " current fiscal year "),
    (_UR_LAST + r"\s+مالی\s+" + _UR_YEAR, " last fiscal year "),
    (r"(?:آئندہ|اگلے|اگلا|اگلی)\s+مالی\s+" + _UR_YEAR, " next fiscal year "),
    (r"مالی\s+" + _UR_YEAR, " fiscal year "),
    (_UR_LAST + r"\s+" + _UR_YEAR + rf"\s+((?i:{MONTH}))\b", r" \1 last year "),
    (_UR_LAST + r"\s+(?:ماہ|مہینے)", " last month "),
    (_UR_LAST + r"\s+" + _UR_YEAR, " last year "),
    (r"ماہانہ\s+بنیاد(?:وں)?\s+پر", " month-on-month "),
    (r"سالانہ\s+بنیاد(?:وں)?\s+پر", " year-on-year "),
    (r"(?:کے|کی)\s+مقابلے(?:\s+میں)?|(?:کے|کی)\s+نسبت", " compared "),
    (r"کم\s+از\s+کم", " at least "),
    (r"ارب", " billion "),
    (r"کروڑ", " crore "),
    (r"لاکھ", " lakh "),
    (r"ملین", " million "),
    (r"بلین", " billion "),
    (r"امریکی\s+ڈالرز?", " US dollars "),
    (r"ڈالرز?", " dollars "),
    (r"روپ(?:ے|ئے|یے|وں)", " rupees "),
    (r"فیصد", " percent "),
    (r"اضافہ|اضافے", " increase "),
    (r"کمی", " decline "),
    (r"(?<!\w)زیادہ(?!\w)", " higher "),
    (r"(?<!\w)کم(?!\w)", " lower "),
    (r"خالص", " net "),
    (r"فری\s*لانس\w*", " freelancing "),
    (r"ہدف|اہداف", " target "),
    (r"متوقع|توقع|تخمینہ|امکان", " expected "),
    (r"درآمدات", " imports "),
    (r"برآمدات|ایکسپورٹس|ایکسپورٹ", " exports "),
    (r"آئی\s+سی\s+ٹی", " ICT "),
    (r"آئی\s+ٹی", " IT "),
    (r"ٹیکسٹائل|کپڑے", " textile "),
    (r"ترسیلات\s+زر|ترسیلات", " remittances "),
    (r"سرپلس|فاضل", " surplus "),
    (r"خسارہ|خسارے", " deficit "),
    (r"جاری\s+کھات(?:ے|ہ)|کرنٹ\s+اکاؤنٹ", " current account "),
    (r"ذخائر", " reserves "),
    (r"سرمایہ\s+کاری", " investment "),
    (r"قرض(?:ے|ہ|وں)?", " loans "),
    (r"ٹیکس", " tax "),
    (r"بجٹ", " budget "),
    (r"خدمات", " services "),
    (r"مجموعی", " total "),
    (r"مہنگائی|افراط\s+زر", " inflation "),
    (r"(?<!\w)تا(?!\w)", " to "),
)
URDU_PHRASES = tuple((re.compile(pattern), english) for pattern, english in _URDU_PHRASES)
# "July سے March تک", "July 2023 سے لے کر March 2024": a range of months.
URDU_MONTH_RANGE = re.compile(
    rf"\b({MONTH})(\s+(?:19|20)\d{{2}})?\s+سے(?:\s+لے\s+کر)?\s+({MONTH})\b", _I
)
# After an Urdu amount: a change ("کا increase"), a ceiling ("سے تجاوز"), less than ("سے کم").
URDU_DELTA_POST = re.compile(r"^\s*(?:کا|کی|کے)\s+(?:increase|decline)\b")
URDU_THRESHOLD_POST = re.compile(
    r"^\s*(?:کی\s+)?(?:حد|سنگ\s+میل)(?!\w)|^\s*سے\s+(?:(?:کچھ|قدرے|تھوڑا|ذرا)\s+)?(?:lower|تجاوز)\b"
)
URDU_TARGET_POST = re.compile(r"^[^.;]{0,60}?\btarget\b")
URDU_PROJECTION_POST = re.compile(
    r"^[^.;]{0,60}?(?:\bexpected\b|(?<!\w)(?:گی|گا|گے|سکتی|سکتے|سکتا)(?!\w))"
)
# Urdu puts "کے مقابلے میں" (compared with) after the amount or period it compares with.
URDU_COMPARED_AFTER = re.compile(r"^\s*compared\b(?!\s+(?:to|with)\b)")
URDU_AFTER = re.compile(r"\s*[\u0600-\u06ff\d]")
