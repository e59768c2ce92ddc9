"""Word tables for person names: the given names and surnames that are also everyday English words.

Data only. A gazetteer hit on "Will", "May" or "Grant" proves nothing at the start of a sentence ("Will you
refund it?", "Grant access please"), so these need a second signal: a neighbouring name ("Will Turner"), an
introducer ("my name is Will") or a name position ("Will here"). The gazetteer build adds every other name whose
lower-case form is an English dictionary word (``streams/redact/gazetteer.py``); this list holds the collisions
that are also frequent names, which that rule exempts.
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS_NAMES", "COMPANY_DESIGNATORS", "COMPANY_PREFIXES", "NOT_NAMES"]

# fmt: off
AMBIGUOUS_NAMES: tuple[str, ...] = (
    "will", "may", "june", "april", "august", "mark", "grant", "bill", "rose", "hope", "joy", "faith", "grace",
    "dawn", "amber", "ruby", "jade", "crystal", "summer", "autumn", "winter", "sky", "rich", "art", "don", "pat",
    "sue", "ray", "max", "jack", "frank", "iris", "lily", "violet", "holly", "ivy", "cliff", "dean", "drew",
    "gene", "glen", "guy", "lance", "miles", "pierce", "reed", "rob", "rod", "sandy", "stone", "wade", "ward",
    "chase", "page", "brown", "green", "white", "black", "gray", "grey", "king", "young", "long", "wood", "hill",
    "cook", "bell", "price", "little", "hall", "rice", "rush", "moody", "baker", "mason", "fisher", "hunter",
    "porter", "cash", "banks", "bishop", "church", "castle", "major", "noble", "love", "angel", "precious",
    "princess", "lucky", "happy", "sunny", "honey", "sugar", "baby", "star", "dove", "robin", "jay", "wren",
    "hazel", "olive", "pearl", "sage", "willow", "daisy", "poppy", "heather", "fern", "basil", "clay", "flint",
    "forest", "river", "brook", "ocean", "storm", "rain", "snow", "frost", "blaze", "ash", "oak", "bay", "bud",
    "chip", "buck", "duke", "earl", "prince", "baron", "marshall", "sterling", "golden", "silver", "gold",
    "destiny", "harmony", "melody", "unity", "liberty", "justice", "trinity", "charity", "mercy", "patience",
    "honor", "noel", "rusty", "penny", "candy", "sunshine", "mike", "nick", "tom", "sam", "ben", "dan", "ken",
    "lee", "van", "sale", "best", "free", "rocky", "dusty", "randy", "rocket", "tiger", "bear", "wolf", "fox",
    "lion", "hawk", "crane", "swan", "finch", "parker", "walker", "turner", "carter", "cooper", "miller",
    "taylor", "smith", "bond", "case", "fair", "field", "ford", "frost", "lane", "moss", "park", "pope",
    "rivers", "shepherd", "short", "sharp", "stark", "strong", "sweet", "waters", "wells", "west", "north",
    "south", "east", "ewing", "hardy", "holiday", "joy", "kind", "merry", "pleasant", "worthy", "bliss",
)
#: Capitalised words a gazetteer lists (somewhere, someone is called that) that are never read as a name here:
#: greetings, UI words and chat words that start messages.
NOT_NAMES: tuple[str, ...] = (
    "hi", "hello", "hey", "dear", "thanks", "thank", "regards", "cheers", "best", "kind", "sincerely", "yes",
    "no", "ok", "okay", "please", "sorry", "welcome", "good", "morning", "evening", "afternoon", "night",
    "great", "sure", "fine", "cool", "nice", "wow", "oh", "ah", "hmm", "lol", "omg", "btw", "asap", "fyi",
    "agent", "customer", "support", "team", "admin", "bot", "user", "guest", "client", "member", "staff",
    "order", "refund", "invoice", "account", "payment", "card", "bank", "delivery", "package", "parcel",
    "update", "note", "question", "issue", "problem", "subject", "status", "error", "warning", "info", "tip",
    "reminder", "answer", "reply", "message", "chat", "call", "email", "phone", "text", "app", "web", "online",
    "premium", "gold", "silver", "platinum", "plus", "pro", "basic", "express", "prime", "standard",
    "iban", "swift", "bic", "sort", "pin", "cvv", "ssn", "dob", "zip", "postcode", "address", "total",
    "reason", "tracking", "reference", "ref", "re", "fwd", "edit", "ps", "nb", "attn", "date", "time",
    "nike", "adidas", "netflix", "gmail", "hotmail", "outlook", "yahoo", "icloud", "spotify", "uber", "lyft",
    "tesla", "samsung", "pixel", "galaxy", "alexa", "siri", "kindle", "venmo", "zelle", "revolut", "monzo",
    "sky", "vodafone", "verizon", "comcast", "xfinity", "tmobile", "orange", "telekom", "movistar", "airtel",
    # brands that are nobody's name, frequent in support chat
    "xiaomi", "redmi", "huawei", "oppo", "vivo", "oneplus", "nokia", "motorola", "lenovo", "thinkpad", "asus",
    "acer", "sony", "panasonic", "philips", "bosch", "siemens", "miele", "dyson", "jabra", "bose", "fitbit",
    "garmin", "canon", "nikon", "toyota", "honda", "bmw", "audi", "volkswagen", "subaru", "chevrolet",
    "lamborghini", "peugeot", "renault", "skoda", "hyundai", "nissan", "mazda", "ikea", "zalando", "shein",
    "temu", "aliexpress", "ebay", "etsy", "walmart", "costco", "tesco", "lidl", "aldi", "carrefour",
    "feb", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat",
)
#: Words that make the capitalised words before them a company, not a person ("Scott LLC", "Herrera and Sons").
COMPANY_DESIGNATORS: tuple[str, ...] = (
    "Inc", "Inc.", "LLC", "L.L.C.", "Ltd", "Ltd.", "Limited", "PLC", "Plc", "GmbH", "AG", "KG", "OHG", "S.A.",
    "SA", "S.A.R.L.", "SARL", "S.A.S.", "SAS", "S.L.", "S.p.A.", "SpA", "S.r.l.", "Srl", "B.V.", "BV", "N.V.",
    "NV", "Oy", "AB", "A/S", "ApS", "Sp. z o.o.", "s.r.o.", "a.s.", "Corp", "Corp.", "Corporation", "Co.",
    "Company", "Group", "Holdings", "Partners", "& Sons", "and Sons", "& Co", "& Co.", "ve Ticaret", "Sanayi",
    "Pty", "Pty Ltd", "Pvt", "Pvt Ltd", "Private Limited", "LLP", "LP", "Associates", "Enterprises", "Industries",
)
#: Japanese company forms written before or after the name (株式会社長谷川印刷).
COMPANY_PREFIXES: tuple[str, ...] = ("株式会社", "合同会社", "有限会社", "合資会社", "合名会社")
# fmt: on
