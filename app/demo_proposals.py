"""Demo content for the cycles-and-proposals module: three cycles of Lille's participatory budget."""

# (title, district slug or None for the whole city, category slug, latitude, longitude, address, city cost in euros,
#  status, description)
VOTING_PROPOSALS = [
    ("Un abri à vélos couvert au marché de Wazemmes", "wazemmes", "mobilite", 50.6262, 3.0494,
     "Place de la Nouvelle Aventure", 38_000, "feasible",
     "Le dimanche, des dizaines de vélos sont attachés aux grilles. Un abri **couvert et sécurisé** de 40 places "
     "permettrait de venir au marché sans voiture."),
    ("Des arbres fruitiers au parc Jean-Baptiste Lebas", "centre", "nature", 50.6287, 3.0660,
     "Parc Jean-Baptiste Lebas", 24_000, "feasible",
     "Planter une vingtaine d'arbres fruitiers (pommiers, poiriers, cerisiers) dont les fruits seraient en libre "
     "cueillette, avec des panneaux pour apprendre à les reconnaître."),
    ("Une boîte à livres géante place de la Solidarité", "fives", "culture", 50.6305, 3.0866,
     "Place de la Solidarité", 9_500, "feasible",
     "Une grande armoire en bois, abritée, où chacun dépose et emprunte des livres. Fabriquée par un chantier "
     "d'insertion du quartier."),
    ("Éclairer le passage piéton de la rue Pierre Legrand", "fives", "cadre-de-vie", 50.6297, 3.0805,
     "Rue Pierre Legrand, angle rue de Bouvines", 42_000, "feasible",
     "Le passage est très sombre l'hiver, les enfants traversent pour aller à l'école. Un éclairage renforcé et "
     "des bandes réfléchissantes le rendraient plus sûr."),
    ("Un terrain de basket 3x3 aux Bois-Blancs", "bois-blancs", "sport", 50.6373, 3.0352,
     "Quai de l'Ouest", 85_000, "feasible",
     "Les jeunes du quartier jouent sur un parking. Un terrain 3x3 avec un revêtement souple et deux paniers "
     "leur donnerait un vrai lieu."),
    ("Des bancs le long de la Deûle", "vauban-esquermes", "cadre-de-vie", 50.6370, 3.0450,
     "Quai du Wault", 18_000, "feasible",
     "Entre le pont de la Citadelle et le quai du Wault, il n'y a aucun banc. Les personnes âgées ne peuvent pas "
     "faire la promenade d'une traite."),
    ("Un jardin partagé rue d'Arras", "lille-sud", "nature", 50.6145, 3.0582,
     "Rue d'Arras", 32_000, "feasible",
     "Transformer la friche de la rue d'Arras en jardin partagé : bacs surélevés, récupérateur d'eau, cabane à "
     "outils. Une association du quartier est prête à l'animer."),
    ("Une fontaine à eau potable au Vieux-Lille", "vieux-lille", "cadre-de-vie", 50.6400, 3.0630,
     "Place aux Oignons", 15_000, "feasible",
     "L'été, les touristes comme les habitants cherchent de l'eau. Une fontaine accessible aux personnes en "
     "fauteuil et aux gourdes."),
    ("Des toilettes publiques accessibles à Moulins", "lille-moulins", "solidarite", 50.6190, 3.0720,
     "Place Vanhoenacker", 120_000, "feasible",
     "Il n'existe aucune toilette publique dans le quartier. Une cabine accessible, gratuite et entretenue "
     "aiderait les familles, les personnes âgées et les personnes sans abri."),
    ("Une aire de jeux inclusive à Hellemmes", "hellemmes", "jeunesse", 50.6270, 3.1090,
     "Parc Engrand", 95_000, "feasible",
     "Des jeux utilisables par tous les enfants, y compris en fauteuil : balançoire nid, tourniquet au sol, "
     "panneaux sensoriels."),
    ("Des arceaux vélos devant chaque école de Lomme", "lomme", "mobilite", 50.6440, 2.9870,
     "Écoles de Lomme", 26_000, "feasible",
     "Beaucoup de parents accompagneraient leurs enfants à vélo s'ils pouvaient attacher leur vélo en sécurité "
     "devant l'école."),
    ("Végétaliser la cour de l'école Lakanal", "saint-maurice-pellevoisin", "nature", 50.6390, 3.0840,
     "Rue Lakanal", 70_000, "feasible",
     "Remplacer une partie du bitume par de la terre, des arbres et un potager : une cour plus fraîche l'été et "
     "plus agréable pour jouer."),
    ("Un festival de musique dans les jardins de Fives", "fives", "culture", 50.6320, 3.0900,
     "Jardin des Plantes", 45_000, "feasible",
     "Un week-end de concerts gratuits avec les écoles de musique et les groupes du quartier."),
    ("Une piste cyclable protégée boulevard de la Liberté", None, "mobilite", 50.6310, 3.0570,
     "Boulevard de la Liberté", 380_000, "feasible",
     "Une piste séparée des voitures par une bordure sur toute la longueur du boulevard, dans les deux sens."),
    ("Des récupérateurs d'eau de pluie pour les jardins familiaux", None, "nature", None, None, "", 60_000,
     "feasible",
     "Installer des cuves de récupération d'eau de pluie dans les jardins familiaux de la ville pour économiser "
     "l'eau potable."),
    ("Un parcours sportif en plein air à la Citadelle", None, "sport", 50.6410, 3.0440, "Bois de la Citadelle",
     55_000, "feasible",
     "Dix agrès en bois le long des allées, avec des panneaux d'exercices pour tous les âges."),
    ("Une ludothèque mobile dans les quartiers", None, "jeunesse", None, None, "", 48_000, "feasible",
     "Un triporteur rempli de jeux qui s'installe chaque semaine dans un square différent."),
    ("Des cendriers de sondage place du Général de Gaulle", "centre", "cadre-de-vie", 50.6366, 3.0635,
     "Grand'Place", 6_000, "feasible",
     "Des cendriers ludiques où l'on vote avec son mégot : moins de mégots par terre et un peu d'humour."),
    ("Réparer les trottoirs de la rue Gambetta", "wazemmes", "cadre-de-vie", 50.6280, 3.0540,
     "Rue Gambetta", None, "not_feasible",
     "Les trottoirs sont défoncés, on trébuche souvent avec les poussettes."),
    ("Un téléphérique entre Lille et Roubaix", None, "mobilite", None, None, "", None, "not_feasible",
     "Un téléphérique au-dessus du canal pour relier les deux villes en un quart d'heure."),
    ("Une patinoire permanente au Vieux-Lille", "vieux-lille", "sport", 50.6420, 3.0610,
     "Avenue du Peuple Belge", None, "not_feasible",
     "Une patinoire ouverte toute l'année pour les familles."),
    ("Un abri pour vélos au marché de Wazemmes", "wazemmes", "mobilite", 50.6263, 3.0495,
     "Marché de Wazemmes", None, "merged",
     "Il faudrait un endroit pour garer les vélos le dimanche au marché."),
    ("Plus de bancs au bord de l'eau", "vauban-esquermes", "cadre-de-vie", 50.6371, 3.0452,
     "Quai du Wault", None, "merged",
     "On manque de bancs pour se reposer en se promenant le long de la Deûle."),
    ("Un composteur collectif à Saint-Maurice", "saint-maurice-pellevoisin", "nature", 50.6380, 3.0870,
     "Square Saint-Maurice", 8_000, "feasible",
     "Un composteur de quartier géré par des voisins volontaires, pour réduire nos déchets."),
    ("Une fresque participative sous le pont de Fives", "fives", "culture", 50.6300, 3.0760,
     "Pont de Fives", 20_000, "feasible",
     "Inviter des artistes et les habitants à peindre ensemble le tunnel, aujourd'hui sombre et tagué."),
    ("Des nichoirs et hôtels à insectes au parc des Dondaines", "saint-maurice-pellevoisin", "nature",
     50.6395, 3.0790, "Parc des Dondaines", 7_500, "feasible",
     "Accueillir les mésanges et les abeilles sauvages, avec des ateliers pour les écoles."),
    ("Un local pour les associations à Lille-Sud", "lille-sud", "solidarite", 50.6130, 3.0600,
     "Rue de Marquillies", 150_000, "feasible",
     "Rénover un local municipal vide pour que les associations du quartier puissent s'y réunir."),
    ("Des bornes de réparation vélo en libre-service", None, "mobilite", None, None, "", 30_000, "feasible",
     "Dix bornes avec outils et pompe, réparties dans la ville, pour réparer un pneu crevé en chemin."),
    ("Un ombrage sur la place de la République", "centre", "cadre-de-vie", 50.6322, 3.0590,
     "Place de la République", 90_000, "feasible",
     "L'été, la place est une fournaise. Des voiles d'ombrage et quelques arbres en bac la rendraient vivable."),
    ("Une table de ping-pong au square Guy Mollet", "lille-moulins", "sport", 50.6200, 3.0690,
     "Square Guy Mollet", 5_500, "feasible",
     "Une table en béton, solide, pour jouer entre voisins."),
    ("Des ateliers numériques pour les seniors", None, "solidarite", None, None, "", 25_000, "feasible",
     "Des ateliers gratuits dans les mairies de quartier pour apprendre à utiliser un smartphone et les démarches "
     "en ligne."),
    ("Un skatepark rénové à Lomme", "lomme", "sport", 50.6460, 2.9910, "Parc urbain de Lomme", 110_000,
     "feasible", "Le skatepark est abîmé et dangereux. Le refaire avec les jeunes qui l'utilisent."),
    ("Une cabane à dons à Hellemmes", "hellemmes", "solidarite", 50.6260, 3.1060, "Place Hentgès", 4_000,
     "feasible", "Une petite cabane où déposer vêtements et objets en bon état pour ceux qui en ont besoin."),
    ("Des jeux d'eau au parc Matisse", "centre", "jeunesse", 50.6340, 3.0760, "Parc Matisse", 75_000, "feasible",
     "Des jets d'eau au sol pour se rafraîchir l'été, avec une eau recyclée."),
    ("Une signalétique en braille dans les mairies de quartier", None, "solidarite", None, None, "", 16_000,
     "feasible", "Rendre les mairies de quartier plus accessibles aux personnes aveugles et malvoyantes."),
    ("Un mur d'escalade extérieur à Wazemmes", "wazemmes", "sport", 50.6250, 3.0470,
     "Parc des Olieux", 65_000, "feasible", "Un petit mur de blocs, en accès libre, pour grimper en famille."),
    ("Planter une forêt urbaine à Bois-Blancs", "bois-blancs", "nature", 50.6360, 3.0320,
     "Rue de la Bourdonnais", 40_000, "feasible",
     "Une micro-forêt dense (méthode Miyawaki) sur 300 m², plantée avec les écoles du quartier."),
    ("Un kiosque à musique au Vieux-Lille", "vieux-lille", "culture", 50.6410, 3.0650, "Square du Ramponneau",
     58_000, "feasible", "Un kiosque couvert pour accueillir des concerts et des bals l'été."),
    ("Des poubelles de tri dans les parcs", None, "cadre-de-vie", None, None, "", 35_000, "feasible",
     "Des poubelles à plusieurs compartiments dans tous les parcs de la ville."),
    ("Un terrain de pétanque éclairé à Moulins", "lille-moulins", "sport", 50.6180, 3.0700, "Rue d'Arras",
     14_000, "feasible", "Pour jouer le soir l'été, entre voisins de toutes générations."),
]

NOT_FEASIBLE_REASONS = {
    "Réparer les trottoirs de la rue Gambetta":
        "L'entretien des trottoirs relève du budget ordinaire de la Ville : les travaux sont programmés pour 2027.",
    "Un téléphérique entre Lille et Roubaix":
        "Le coût dépasse largement l'enveloppe et le projet relève de la Métropole européenne de Lille.",
    "Une patinoire permanente au Vieux-Lille":
        "Les frais de fonctionnement annuels (énergie, personnel) ne peuvent pas être financés par le budget "
        "participatif, qui ne finance que des investissements.",
}

MERGES = {
    "Un abri pour vélos au marché de Wazemmes": "Un abri à vélos couvert au marché de Wazemmes",
    "Plus de bancs au bord de l'eau": "Des bancs le long de la Deûle",
}

# Last year's cycle: (title, district, category, lat, lng, address, cost, status, progress, spent, description)
PAST_PROPOSALS = [
    ("Des bacs à fleurs rue Léon Gambetta", "wazemmes", "nature", 50.6275, 3.0530, "Rue Léon Gambetta", 22_000,
     "done", 100, 21_400, "Des bacs fleuris et entretenus par les riverains."),
    ("Une piste de vélo pour enfants à Fives", "fives", "mobilite", 50.6310, 3.0850, "Parc Lebas de Fives",
     30_000, "in_progress", 60, 17_000, "Un petit circuit pour apprendre le vélo en sécurité."),
    ("Un préau dans la cour de l'école Jean Zay", "lille-sud", "jeunesse", 50.6140, 3.0560, "Rue Jean Zay",
     80_000, "selected", 0, 0, "Pour jouer dehors même quand il pleut."),
    ("Des bancs au parc de la Citadelle", None, "cadre-de-vie", 50.6410, 3.0440, "Parc de la Citadelle", 15_000,
     "done", 100, 14_200, "Vingt bancs supplémentaires le long des allées."),
    ("Un mur d'expression libre à Moulins", "lille-moulins", "culture", 50.6195, 3.0710, "Rue de Douai",
     12_000, "not_selected", 0, 0, "Un mur où les graffeurs peuvent peindre légalement."),
    ("Un city-stade à Lomme", "lomme", "sport", 50.6450, 2.9890, "Avenue de Dunkerque", 140_000,
     "not_selected", 0, 0, "Un terrain multisport clôturé."),
    ("Des fontaines à eau dans les parcs", None, "cadre-de-vie", 50.6330, 3.0600, "Parcs de la ville", 120_000,
     "in_progress", 40, 45_000, "Des fontaines d'eau potable dans dix parcs, pour les promeneurs et les sportifs."),
    ("Des arbres le long du boulevard de la Liberté", None, "nature", 50.6330, 3.0570, "Boulevard de la Liberté",
     180_000, "selected", 0, 0, "Cent arbres pour rafraîchir le boulevard en été."),
    ("Une passerelle piétonne sur la Deûle", None, "mobilite", 50.6380, 3.0400, "Quai de la Deûle", 260_000,
     "not_selected", 0, 0, "Relier à pied les deux rives de la Deûle près de la Citadelle."),
]

SUBMISSION_PROPOSALS = [
    ("Des toilettes sèches au jardin des Géants", "saint-maurice-pellevoisin", "cadre-de-vie", 50.6410, 3.0790,
     "Jardin des Géants", "Il n'y a aucune toilette dans ce grand jardin très fréquenté le week-end."),
    ("Une rue aux enfants devant l'école Michelet", "vauban-esquermes", "jeunesse", 50.6320, 3.0440,
     "Rue Michelet", "Fermer la rue aux voitures à l'entrée et à la sortie de l'école."),
    ("Des stationnements vélo cargo en centre-ville", "centre", "mobilite", 50.6370, 3.0620, "Rue Neuve",
     "Les vélos cargo ne rentrent pas dans les arceaux classiques."),
    ("Un potager pédagogique à Lille-Sud", "lille-sud", "nature", 50.6120, 3.0590, "Rue du Faubourg des Postes",
     "Un potager cultivé avec les écoles et le centre social."),
]
