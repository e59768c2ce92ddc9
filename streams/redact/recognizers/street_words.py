"""Word tables for street addresses: the street types and unit designators of the postal standards we cover.

Data only (the patterns are in ``street_address.py``). Sources, all public standards or common usage:
USPS Publication 28 Appendix C1 (every primary street suffix and its standard abbreviation) and C2 (secondary
unit designators); Royal Mail and Australia Post thoroughfare types; the street types of France, Spain and Latin
America, Portugal and Brazil, Italy, Poland, the Netherlands and Germany; Indian locality words.
"""

from __future__ import annotations

__all__ = [
    "ADDRESS_CUES",
    "CALENDAR_WORDS",
    "BUILDING_WORDS",
    "CHAIN_UNITS",
    "DOOR_SIDES",
    "FLOOR_WORDS",
    "COUNTER_WORDS",
    "COMPOUND_ENDINGS",
    "NOT_STREET_NAMES",
    "DIRECTIONALS",
    "LOWERCASE_SAFE_SUFFIXES",
    "NAME_PARTICLES",
    "PREFIX_TYPES",
    "PREFIX_TYPES_WITHOUT_NUMBER",
    "SUFFIXES",
    "UNIT_DESIGNATORS",
]

# fmt: off
#: USPS C1 primary suffixes, their standard abbreviations, and the UK/Australian/Indian/Irish thoroughfare words
#: that follow a street name ("12 Baker Street", "9 Webb Sound", "52 Pillai Chowk").
SUFFIXES: tuple[str, ...] = (
    # USPS C1 primary names
    "alley", "annex", "arcade", "avenue", "bayou", "beach", "bend", "bluff", "bluffs", "bottom", "boulevard",
    "branch", "bridge", "brook", "brooks", "burg", "burgs", "bypass", "camp", "canyon", "cape", "causeway",
    "center", "centers", "circle", "circles", "cliff", "cliffs", "club", "common", "commons", "corner", "corners",
    "course", "court", "courts", "cove", "coves", "creek", "crescent", "crest", "crossing", "crossroad",
    "crossroads", "curve", "dale", "dam", "divide", "drive", "drives", "estate", "estates", "expressway",
    "extension", "extensions", "fall", "falls", "ferry", "field", "fields", "flat", "flats", "ford", "fords",
    "forest", "forge", "forges", "fork", "forks", "fort", "freeway", "garden", "gardens", "gateway", "glen",
    "glens", "green", "greens", "grove", "groves", "harbor", "harbors", "harbour", "haven", "heights", "highway",
    "hill", "hills", "hollow", "inlet", "island", "islands", "isle", "junction", "junctions", "key", "keys",
    "knoll", "knolls", "lake", "lakes", "land", "landing", "lane", "light", "lights", "loaf", "lock", "locks",
    "lodge", "loop", "mall", "manor", "manors", "meadow", "meadows", "mews", "mill", "mills", "mission",
    "motorway", "mount", "mountain", "mountains", "neck", "orchard", "oval", "overpass", "park", "parks",
    "parkway", "parkways", "pass", "passage", "path", "pike", "pine", "pines", "place", "plain", "plains",
    "plaza", "point", "points", "port", "ports", "prairie", "radial", "ramp", "ranch", "rapid", "rapids", "rest",
    "ridge", "ridges", "river", "road", "roads", "route", "row", "rue", "run", "shoal", "shoals", "shore",
    "shores", "skyway", "spring", "springs", "spur", "spurs", "square", "squares", "station", "stravenue",
    "stream", "street", "streets", "summit", "terrace", "throughway", "trace", "track", "trafficway", "trail",
    "trailer", "tunnel", "turnpike", "underpass", "union", "unions", "valley", "valleys", "viaduct", "view",
    "views", "village", "villages", "ville", "vista", "walk", "walks", "wall", "way", "ways", "well", "wells",
    # USPS C1 standard abbreviations
    "aly", "anx", "arc", "ave", "av", "byu", "bch", "bnd", "blf", "blfs", "btm", "blvd", "br", "brg", "brk",
    "brks", "bg", "bgs", "byp", "cp", "cyn", "cpe", "cswy", "ctr", "ctrs", "cir", "cirs", "clf", "clfs", "clb",
    "cmn", "cmns", "cor", "cors", "crse", "ct", "cts", "cv", "cvs", "crk", "cres", "crst", "xing", "xrd", "xrds",
    "curv", "dl", "dm", "dv", "dr", "drs", "est", "ests", "expy", "ext", "exts", "fls", "fry", "fld", "flds",
    "flt", "flts", "frd", "frds", "frst", "frg", "frgs", "frk", "frks", "ft", "fwy", "gdn", "gdns", "gtwy",
    "gln", "glns", "grn", "grns", "grv", "grvs", "hbr", "hbrs", "hvn", "hts", "hwy", "hl", "hls", "holw", "inlt",
    "iss", "jct", "jcts", "ky", "kys", "knl", "knls", "lk", "lks", "lndg", "ln", "lgt", "lgts", "lf", "lck",
    "lcks", "ldg", "mnr", "mnrs", "mdw", "mdws", "ml", "mls", "msn", "mtwy", "mt", "mtn", "mtns", "nck", "orch",
    "opas", "pkwy", "psge", "pne", "pnes", "pl", "pln", "plns", "plz", "pt", "pts", "prt", "prts", "pr", "radl",
    "rnch", "rpd", "rpds", "rst", "rdg", "rdgs", "riv", "rd", "rds", "rte", "shl", "shls", "shr", "shrs", "skwy",
    "spg", "spgs", "sq", "sqs", "sta", "stra", "strm", "st", "sts", "smt", "ter", "trwy", "trce", "trak", "trfy",
    "trl", "trlr", "tunl", "tpke", "upas", "un", "uns", "vly", "vlys", "vw", "vws", "vlg", "vlgs", "vl", "vis",
    "wls", "wy",
    # Royal Mail / Australia Post / Ireland / India
    "close", "parade", "circus", "gate", "rise", "wharf", "quay", "yard", "grange", "chase", "croft", "drove",
    "end", "approach", "broadway", "embankment", "vale", "wynd", "brae", "centre", "bank", "side", "cottages",
    "buildings", "esplanade", "promenade", "foreshore", "sound", "retreat", "circuit", "concourse", "glade",
    "outlook", "boardwalk", "cul-de-sac", "grove", "mead", "pde", "cct", "esp", "gr", "ch", "cl",
    "chowk", "ganj", "nagar", "marg", "gali", "bazar", "bazaar", "puram", "layout", "colony", "enclave",
    "residency", "apartments", "towers", "tower", "complex", "society", "villas", "mansions", "mansion", "house",
    # Nordic, Turkish and Czech street words written after the name
    "allé", "alle", "lookout", "meander", "via", "byway", "grange", "heath", "reach", "wood", "woods",
    "vej", "gade", "stræde", "vænget", "torv", "plads", "gata", "gatan", "vägen", "väg", "stigen",
    "gränd", "torget", "backe", "backen", "veien", "vei", "gate", "sokak", "sokağı", "sk.", "caddesi", "cad.",
    "cd.", "bulvarı", "blv.", "mahallesi", "mah.", "yolu", "cesta", "třída", "náměstí", "nábřeží",
)
#: Suffixes that are not ordinary English words, so a street before them may be typed in lower case
#: ("12 baker street"); other suffixes ("3 day pass", "2 close friends") need capitalised street words.
LOWERCASE_SAFE_SUFFIXES: tuple[str, ...] = (
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "parkway", "pkwy",
    "highway", "hwy", "terrace", "crescent", "cres", "ct", "cir", "pl", "ter", "trl", "expy", "fwy", "tpke",
    "marg", "nagar", "chowk",
)
#: Street types written before the street name, with the house number after it ("Calle Mayor 5", "Via Roma, 12",
#: "ul. Kwiatowa 12/4", "Rua Augusta, 300") or before it in France ("12, rue de Rivoli").
PREFIX_TYPES: tuple[str, ...] = (
    # Greek, romanised ("Leof. Alexandras 140", "Odos Ermou 12"); Mexican "Blvd. Agua Caliente 10611"
    "leof.", "leoforos", "odos", "od.", "blvd.", "blvd",
    # French
    "rue", "avenue", "av.", "boulevard", "bd", "bd.", "bld", "chemin", "impasse", "allée", "allee", "place", "quai",
    "cours", "route", "square", "passage", "voie", "rond-point", "sentier", "villa", "cité", "résidence",
    "hameau", "lieu-dit", "faubourg", "esplanade", "promenade", "parvis", "montée", "traverse", "ruelle", "mail",
    # Spanish (Spain and Latin America)
    "calle", "c/", "avenida", "avda", "avda.", "paseo", "pº", "plaza", "pza.", "camino", "carrer", "carretera",
    "ronda", "rambla", "travesía", "glorieta", "callejón", "pasaje", "urbanización", "cuesta", "alameda", "vía",
    "bulevar", "cañada", "acceso", "bajada", "carrera", "diagonal", "transversal", "circunvalación",
    "prolongación", "privada", "cerrada", "andador", "circuito", "retorno", "periférico", "calzada", "eje vial",
    "peatonal", "corredor", "viaducto", "callejon", "pasadizo", "sector", "manzana", "jr.", "jirón", "jiron",
    "psje.", "pje.",
    # Portuguese (Portugal and Brazil)
    "rua", "r.", "av", "travessa", "tv.", "praça", "praca", "alameda", "al.", "estrada", "rodovia", "largo", "viela",
    "vila", "beco", "ladeira", "quadra", "setor", "conjunto", "condomínio", "chácara", "núcleo", "residencial",
    "passarela", "pátio", "parque", "sítio", "vereda", "trecho", "distrito", "colônia", "campo", "fazenda",
    "feira", "favela", "jardim", "lagoa", "loteamento", "morro", "recanto", "ponte", "aeroporto", "área",
    "esplanada", "lago", "via",
    # Italian
    "viale", "v.le", "piazza", "p.za", "piazzale", "corso", "c.so", "vicolo", "contrada", "strada", "borgo",
    "rotonda", "incrocio", "canale", "lungomare", "lungotevere", "salita", "galleria", "traversa", "località",
    "frazione", "fondamenta", "calle", "stradone", "vico", "largo",
    # Polish
    "ul.", "ulica", "al.", "aleja", "aleje", "pl.", "plac", "os.", "osiedle", "rondo", "skwer", "bulwar",
    # French, more
    "rúa", "cour", "venelle", "prom.", "sente", "clos", "chaussée", "quartier", "lotissement", "rés.", "imp.", "ch.",
    "vial",
    # Czech, Turkish
    "ulice", "náměstí", "nám.", "třída", "tř.", "nábřeží", "sokak", "sokağı", "cadde", "caddesi", "bulvarı",
    # Romanian, Indonesian/Malay, Vietnamese, Thai (romanised), Turkish abbreviations
    "str.", "str", "bd.", "calea", "jl.", "jl", "jln", "jln.", "jalan", "lorong", "gang", "ngõ", "ngách", "hẻm",
    "đường", "phố", "soi", "thanon", "cad.", "sok.", "sk.",
    # Welsh, Irish
    "heol", "ffordd", "stryd", "lôn", "bóthar", "sráid",
    # Philippines: subdivisions of a barangay
    "purok", "sitio", "brgy", "brgy.", "barangay", "bgy", "bgy.",
    # Russian, Ukrainian (Cyrillic)
    "ул.", "улица", "вул.", "вулиця", "пр.", "просп.", "проспект", "пер.", "переулок", "ш.", "шоссе", "бул.",
    "бульвар", "наб.", "набережная", "пл.", "площадь",
)
#: Prefix types that are not English words: "rue de Rivoli" or "Calle Mayor" names a street even without a
#: house number. The others ("via", "place", "route", "am") need the number.
PREFIX_TYPES_WITHOUT_NUMBER: tuple[str, ...] = (
    "rue", "rúa", "chemin", "impasse", "allée", "boulevard", "calle", "c/", "avenida", "avda.", "paseo", "carrer",
    "rua",
    "travessa", "praça", "viale", "piazza", "corso", "vicolo", "contrada", "ulica", "ul.", "aleja", "plac",
    "osiedle", "largo", "cour", "venelle", "ulice", "náměstí", "sokağı", "caddesi",
    "estrada", "rodovia", "calzada", "andador", "privada", "cerrada",
    "peatonal", "circuito", "retorno", "callejón", "chácara", "loteamento", "passarela", "quai", "prom.",
    "purok", "sitio", "brgy", "brgy.", "barangay", "bgy", "bgy.",
)
#: One-word endings of compound street names ("Hauptstraße 5", "Keizersgracht 123", "Yassindreef 513").
COMPOUND_ENDINGS: tuple[str, ...] = (
    "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "ring", "damm", "ufer", "chaussee", "steig",
    "pfad", "zeile", "markt", "graben", "stieg", "brücke", "garten", "berg", "hof", "feld", "kamp",
    "straat", "laan", "gracht", "plein", "kade", "singel", "dijk", "steeg", "pad", "dreef", "baan", "burgwal",
    "kanaal", "haven", "dam", "veld", "straatweg", "plantsoen", "erf", "hage", "horst", "wal", "weide", "polder",
    "vej", "gade", "gatan", "vägen", "gata", "veien", "gate", "katu", "tie", "stien", "stigen", "stræde", "vænget",
    "torv", "plads", "gränd", "torget", "backen", "vei", "kuja", "polku", "tori", "väylä", "gård", "haven",
)
#: USPS C2 secondary unit designators and their UK/European equivalents ("Apt 4B", "Suite 200", "Flat 3").
UNIT_DESIGNATORS: tuple[str, ...] = (
    "apartment", "apt", "apt.", "building", "bldg", "bldg.", "basement", "bsmt", "department", "dept", "floor",
    "fl", "fl.", "front", "frnt", "hangar", "hngr", "key", "lobby", "lbby", "lot", "lower", "lowr", "office",
    "ofc", "penthouse", "ph", "pier", "rear", "room", "rm", "rm.", "side", "slip", "space", "spc", "stop",
    "suite", "ste", "ste.", "trailer", "trlr", "unit", "upper", "uppr", "flat", "studio", "maisonette",
    "piso", "puerta", "depto", "depto.", "dpto", "dpto.", "interior", "int.", "edif.", "edificio", "apto",
    "apto.", "bloco", "casa", "appartamento", "scala", "interno", "int", "m.", "lok.", "etage", "wohnung",
    "bus", "boîte", "bte", "h.no.", "h.no", "h. no.", "house no.", "house no", "plot", "plot no.", "door no.",
    "flat no.", "no.", "#",
    "bât.", "bât", "bâtiment", "bat.", "esc.", "escalier", "étage", "app", "app.", "appt", "appt.", "lgh",
    "lägenhet", "plot", "hse", "hse no.", "hse no", "blk", "block", "bloque", "portal", "escalera", "esc",
    "daire", "kat", "d:", "dpt", "puerta", "pta", "pta.", "mieszkanie", "m", "lokal", "byt", "whg", "whg.",
    "д.", "кв.", "корп.", "стр.", "под.", "эт.", "tower", "twr", "wing",
    "ap", "ap.", "bl", "bl.", "sc", "sc.", "et", "et.", "of", "of.", "andar", "rt", "rw", "số", "tv", "th", "mf",
    "klatka", "m", "m.", "подъезд", "под", "кв", "izq", "izda", "dcha", "dto", "esq", "imm", "imm.", "flr", "shop",
    "lt", "lt.", "lantai", "makaan", "gali", "gali no", "dor", "3emara",
    # Latin America: "PB 2" (planta baja), "Local 5", "ofic. 31", "Mz 4 Lote 12"
    "pb", "local", "ofic.", "oficina", "lote", "mz", "mz.", "mza", "manzana",
)
#: Unit, building and plot words that say "address" when two of them follow each other with their numbers
#: ("Tower B, Flat 1204", "flat 6 block B", "Plot 8 Block B", "bldg 3 unit 5c", "blk 4 lot 12", "Bloco C apto
#: 204", "house 45 street 7"), even where no street pattern matches: estates, compounds, condominiums and
#: plotted suburbs are addressed that way from Lagos to Karachi to Manila. Counting nouns ("phase", "sector",
#: "street") take part only next to another unit word.
CHAIN_UNITS: tuple[str, ...] = (
    "apartment", "apt", "building", "bldg", "floor", "fl", "flr", "lot", "penthouse", "room", "rm", "suite",
    "ste", "unit", "flat", "flat no", "piso", "depto", "dpto", "dept", "interior", "int", "edificio", "edif",
    "apto", "ap", "bloco", "bloque", "block", "blk", "blok", "bl", "tower", "twr", "torre", "wing",
    "appartamento", "scala", "interno", "etage", "wohnung", "whg", "h.no", "h. no", "house no", "house", "hse",
    "hse no", "plot", "plot no", "door no", "bât", "bâtiment", "esc", "escalier", "escalera", "étage", "appt",
    "lgh", "lägenhet", "daire", "kat", "dpt", "puerta", "pta", "mieszkanie", "lokal", "andar", "shop", "lt",
    "lantai", "imm", "immeuble", "villa", "office", "condo", "phase", "sector", "street", "st", "road", "rd",
    "lane", "gali", "purok", "sitio", "zone", "kavling", "ruko", "gedung", "manzana", "mz", "mza", "lote",
    "local", "oficina", "of", "casa",
)
#: Words that make the one to three words beside them a building's name ("Sarit View Apts", "Torre Coral",
#: "Mwalimu House", "résidence Nour"): with a flat, floor or room number next to it, that name is part of the address.
BUILDING_WORDS: tuple[str, ...] = (
    "tower", "towers", "torre", "torres", "house", "apts", "apartments", "apartamentos", "apartemen", "condo",
    "condominium", "condominio", "condomínio", "heights", "plaza", "residence", "résidence", "residency",
    "residencial", "residences", "mansion", "mansions", "court", "building", "bldg", "edificio", "edifício",
    "edif", "vihar", "enclave", "villas", "complex", "chambers", "gedung", "immeuble", "lodge", "manor",
)
#: Ordinal floors written before their word: "2nd floor", "4th flr", "2. OG", "3º piso".
FLOOR_WORDS: tuple[str, ...] = (
    "floor", "flr", "fl", "piso", "andar", "etage", "og", "stock", "stockwerk", "étage", "kat", "lantai", "verdieping",
)
#: Words after a flat or floor number that say which door ("2º izq", "2. OG links", "4 dcha"): part of the address.
DOOR_SIDES: tuple[str, ...] = (
    "izq", "izq.", "izda", "izda.", "dcha", "dcha.", "dto", "dto.", "esq", "esq.", "links", "rechts", "mitte",
    "li", "re", "fondo", "frente", "centro", "tv", "th", "mf",
)
#: USPS directionals before or after a street name ("1600 N Main St SE").
DIRECTIONALS: tuple[str, ...] = (
    "n", "s", "e", "w", "ne", "nw", "se", "sw", "n.", "s.", "e.", "w.", "north", "south", "east", "west",
    "northeast", "northwest", "southeast", "southwest",
)
#: Lower-case words that join the words of a street name ("rue de la Paix", "Calle de Alcalá", "Via dei Mille").
NAME_PARTICLES: tuple[str, ...] = (
    "de", "del", "de la", "de las", "de los", "des", "du", "d'", "l'", "la", "le", "les", "di", "da", "dal",
    "dei", "degli", "della", "delle", "dello", "do", "dos", "das", "e", "y", "i", "van", "von", "der", "den",
    "het", "'t", "ter", "ten", "of", "the", "and", "on", "upon", "sur", "en", "aux", "au", "am", "an", "im",
    "zum", "zur", "bei", "st", "st.", "ste", "saint", "sainte", "san", "santa", "são", "santo", "santos",
)
#: Months and days: "…, IA 49363 on January 16" ends the address before them.
CALENDAR_WORDS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
    "tomorrow", "yesterday",
)
#: Words after a street type that make it English, not an address ("via Email 2 times", "place Order 5").
NOT_STREET_NAMES: tuple[str, ...] = (
    "email", "e-mail", "mail", "sms", "text", "whatsapp", "chat", "phone", "web", "app", "website", "online",
    "zoom", "teams", "slack", "skype", "dhl", "ups", "fedex", "usps", "paypal", "amazon", "stripe", "google",
    "apple", "order", "orders", "the", "my", "your", "our", "their", "this", "that", "it", "i",
)
#: Nouns that count things: a number after them is a count or a rank, not a house number ("Level 3 Support
#: Center", "Chapter 3 Main Point", "Step 2 Green Button").
COUNTER_WORDS: tuple[str, ...] = (
    "level", "chapter", "step", "tier", "version", "page", "section", "part", "phase", "stage", "season",
    "episode", "week", "day", "grade", "class", "volume", "vol", "issue", "item", "items", "option", "plan",
    "rule", "point", "points", "top", "round", "gen", "generation", "series", "model", "lesson", "unit",
    "module", "table", "figure", "slide", "line", "row", "seat", "gate", "terminal", "platform", "channel",
    "ticket", "order", "case", "ref", "invoice", "account", "pin", "code", "x", "only", "about", "around",
    "over", "under", "than", "approximately", "approx", "some", "all", "these", "those", "last", "next", "first",
)
#: Phrases after which a street name without a street word may follow ("address: Kladina 1082", "we're at Meir
#: 58", "bezorgen op Prinsengracht 263"): contact-center language in the languages of such streets.
ADDRESS_CUES: tuple[str, ...] = (
    "address", "addr", "address is", "new address", "delivery address", "billing address", "home address",
    "deliver to", "delivered to", "deliver it to", "delivery to", "ship to", "ship it to", "shipped to",
    "send to", "send it to", "sent to", "post it to", "mail it to", "bring it to", "forward to", "redirect to",
    "live at", "live on", "lives at", "lives on", "living at", "we're at", "we are at", "i'm at", "im at",
    "i am at", "moved to", "moving to", "now at", "located at", "based at", "stay at", "staying at",
    "collection from", "collect from", "collect it from", "pick up from", "pickup from", "pick-up from",
    "pick up at", "pickup at", "pick up address", "pickup address", "return from", "drop off at", "drop it at",
    "postcode for", "zip for", "c/o",
    "adresse", "anschrift", "lieferadresse", "liefern an", "lieferung an", "wohne in", "wohne jetzt",
    "dirección", "direccion", "domicilio", "enviar a", "entregar en", "vivo en", "endereço", "endereco",
    "entregar na", "entregar no", "moro na", "moro no", "indirizzo", "consegnare a", "abito in", "adres",
    "bezorgen op", "bezorgen aan", "woon op", "woon aan", "afleveren op", "adresa", "bydlím v", "bydlím na",
    "doručit na", "adresă", "adressen", "adresse er", "bor på", "bor i", "bor vid", "leveres til", "leverans till",
    "osoite", "asun", "adresi", "adresim", "mieszkam na", "mieszkam przy", "wysyłka na", "dostawa na",
    "heimilisfang", "cím", "címem", "locuiesc pe", "locuiesc în", "adresa mea", "giao đến", "giao tới",
    "gửi đến", "địa chỉ", "dia chi", "alamat", "kirim ke", "antar ke", "adresim", "teslimat adresi",
    "mandalo a", "mándalo a", "mándenlo a", "mandenlo a", "envíen a", "envien a", "envíenlo a", "envíen la",
    "entreguen en", "entregar a", "queda en", "mandar a", "llevar a", "llévalo a", "vivimos en", "manda pra",
    "entrega em", "entregar em", "moro em", "moramos na", "moramos no",
)
# fmt: on
